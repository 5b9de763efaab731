import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  IndexTable,
  InlineStack,
  Page,
  Text,
  useBreakpoints,
} from "@shopify/polaris";
import { useState } from "react";
import { z } from "zod";
import { Time } from "~/components/Time";
import { AppToast } from "~/components/AppToast";
import { CsrfInput } from "~/components/CsrfInput";
import { useActionToast } from "~/hooks/useActionToast";
import { requireActionSession } from "~/lib/sessions/csrf.server";
import { describeDevice, displayIp } from "~/lib/sessions/devices.server";
import { jsonError } from "~/lib/http.server";
import { listOwnSessions, requireAppSession, revokeOwnSessions, rotateAppSession } from "~/lib/sessions/core.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  // Only this user's sessions (a session without a user sees only itself).
  const sessions = await listOwnSessions(session);
  return json({
    // In the Shopify admin, Shopify keeps the merchant signed in: every visit
    // from the admin renews the session, so "keep me signed in" would mean nothing.
    current: { id: session.id, rememberMe: session.rememberMe, canRemember: session.platform !== "shopify" },
    // Whose sessions these are (Shopify: from the staff member's online token); null when unknown.
    user: session.userName || session.userEmail ? { name: session.userName, email: session.userEmail } : null,
    sessions: sessions.map((s) => ({
      id: s.id,
      device: describeDevice(s.userAgent),
      ipAddress: displayIp(s.ipAddress),
      createdAt: s.createdAt.toISOString(),
      lastActivityAt: s.lastActivityAt.toISOString(),
      rememberMe: s.rememberMe,
      isCurrent: s.id === session.id,
    })),
  });
}

const actionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("revoke"), sessionId: z.uuid("Unknown session.") }),
  z.object({ intent: z.literal("revoke_others") }),
  z.object({ intent: z.literal("remember_me") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const { session, form } = await requireActionSession(request);
  const parsed = actionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw jsonError(400, "bad_request", "Unknown action on sessions.");

  switch (parsed.data.intent) {
    case "revoke": {
      if (parsed.data.sessionId === session.id) {
        throw jsonError(400, "bad_request", "Use Log out to end the session on this device.");
      }
      const revoked = await revokeOwnSessions(session, { sessionId: parsed.data.sessionId });
      return json({ message: revoked ? "Session signed out." : "That session had already ended." });
    }
    case "revoke_others": {
      const revoked = await revokeOwnSessions(session, { allOthers: true });
      return json({ message: `${revoked} other session${revoked === 1 ? "" : "s"} signed out.` });
    }
    case "remember_me": {
      if (session.platform === "shopify") {
        throw jsonError(400, "bad_request", "In the Shopify admin, Shopify keeps you signed in: open the app from the admin.");
      }
      // A longer-lived session gets a new token (no fixation across privilege changes).
      const rotated = await rotateAppSession(session.id, { rememberMe: true });
      if (!rotated) throw jsonError(409, "conflict", "This session has just ended. Open the app again.");
      const headers = new Headers({ "Set-Cookie": rotated.setCookie });
      // A tab that authenticates with our token as Bearer (third-party cookies blocked)
      // picks its new token up from this header (app/lib/sessions/session-token.client.ts).
      if (session.via === "bearer") headers.set("X-App-Session-Token", rotated.token);
      return json({ message: "This device will stay signed in for 30 days." }, { headers });
    }
  }
}

/** What a merchant calls a device: "Chrome on macOS". */
function deviceName(device: { browser: string; os: string }) {
  return `${device.browser} on ${device.os}`;
}

export default function Sessions() {
  const { sessions, current, user } = useLoaderData<typeof loader>();
  const who = user ? [user.name, user.email && user.email !== user.name ? `(${user.email})` : null].filter(Boolean).join(" ") : null;
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const toast = useActionToast(result, (r) => r.message);
  // Phones: one block per row (IndexTable's condensed list), no sideways scrolling.
  const { smDown } = useBreakpoints();
  // Signing out every other device is not undone by a click: ask first.
  // Keyed on the last result: a new answer (the sign-out done) closes the question.
  const [confirmingAfter, setConfirmingAfter] = useState<typeof result | null>(null);
  const confirming = confirmingAfter === (result ?? undefined);
  const setConfirming = (on: boolean) => setConfirmingAfter(on ? (result ?? undefined) : null);
  const others = sessions.length - 1;

  const signOut = (s: (typeof sessions)[number]) =>
    s.isCurrent ? null : (
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="revoke" />
        <input type="hidden" name="sessionId" value={s.id} />
        <Button submit tone="critical" variant="plain" disabled={busy} accessibilityLabel={`Sign out ${deviceName(s.device)}`}>
          Sign out
        </Button>
      </Form>
    );

  const device = (s: (typeof sessions)[number]) => (
    <InlineStack gap="200" blockAlign="center">
      <Text as="span" fontWeight="semibold">
        {deviceName(s.device)}
      </Text>
      {s.isCurrent ? <Badge tone="success">This device</Badge> : null}
      {s.rememberMe ? <Badge>Remembered</Badge> : null}
    </InlineStack>
  );

  const rows = sessions.map((s, index) =>
    smDown ? (
      <IndexTable.Row id={s.id} key={s.id} position={index}>
        <IndexTable.Cell>
          <InlineStack align="space-between" blockAlign="start" wrap={false} gap="200">
            <BlockStack gap="100">
              {device(s)}
              <Text as="span" tone="subdued">
                Active <Time iso={s.lastActivityAt} /> · signed in <Time iso={s.createdAt} />
              </Text>
              {s.ipAddress ? (
                <Text as="span" tone="subdued">
                  {s.ipAddress}
                </Text>
              ) : null}
            </BlockStack>
            {signOut(s)}
          </InlineStack>
        </IndexTable.Cell>
      </IndexTable.Row>
    ) : (
      <IndexTable.Row id={s.id} key={s.id} position={index}>
        <IndexTable.Cell>{device(s)}</IndexTable.Cell>
        <IndexTable.Cell>{s.ipAddress ?? "—"}</IndexTable.Cell>
        <IndexTable.Cell>
          <Time iso={s.createdAt} />
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Time iso={s.lastActivityAt} />
        </IndexTable.Cell>
        <IndexTable.Cell>{signOut(s)}</IndexTable.Cell>
      </IndexTable.Row>
    ),
  );

  return (
    <Page title="Sessions" subtitle={who ? `Where ${who} is signed in to this app` : "Where you are signed in to this app"}>
      <BlockStack gap="400">
        {current.canRemember && !current.rememberMe ? (
          <Banner title="Keep me signed in on this device" tone="info">
            <BlockStack gap="200">
              <p>Stay signed in here for 30 days instead of until you close the browser.</p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="remember_me" />
                <Button submit disabled={busy}>
                  Keep me signed in
                </Button>
              </Form>
            </BlockStack>
          </Banner>
        ) : null}
        <Card padding="0">
          <IndexTable
            resourceName={{ singular: "session", plural: "sessions" }}
            itemCount={sessions.length}
            selectable={false}
            condensed={smDown}
            headings={[
              { title: "Device" },
              { title: "IP address" },
              { title: "Signed in" },
              { title: "Last activity" },
              { title: "Actions", hidden: true },
            ]}
          >
            {rows}
          </IndexTable>
        </Card>
        {others > 0 && !confirming ? (
          <InlineStack align="end">
            <Button tone="critical" disabled={busy} onClick={() => setConfirming(true)}>
              Sign out all other sessions
            </Button>
          </InlineStack>
        ) : null}
        {others > 0 && confirming ? (
          <Banner tone="warning" title={`Sign out ${others} other session${others === 1 ? "" : "s"}?`}>
            <BlockStack gap="300">
              <p>Every other device will need to open the app again from the admin. This device stays signed in.</p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="revoke_others" />
                <InlineStack gap="200" align="end">
                  <Button onClick={() => setConfirming(false)}>Cancel</Button>
                  <Button submit variant="primary" tone="critical" disabled={busy}>
                    {`Sign out ${others} session${others === 1 ? "" : "s"}`}
                  </Button>
                </InlineStack>
              </Form>
            </BlockStack>
          </Banner>
        ) : null}
      </BlockStack>
      {toast.text ? <AppToast content={toast.text} onDismiss={toast.dismiss} /> : null}
    </Page>
  );
}
