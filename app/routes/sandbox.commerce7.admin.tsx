import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { Badge, Banner, BlockStack, Card, InlineStack, Page, Text } from "@shopify/polaris";
import { useEffect, useRef, useState } from "react";
import { requireSandbox } from "~/lib/platforms/plug.server";

export const meta: MetaFunction = () => [{ title: "Commerce7 admin (sandbox)" }];

/** /sandbox/commerce7/admin: the local stand-in for the Commerce7 admin, framing the app. */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox();
  const { sandboxAdminPage } = await import("~/lib/sandbox/commerce7.server");
  const { sandboxAppPath } = await import("~/lib/sandbox/shopify.server");
  const page = await sandboxAdminPage(request);
  // A reload reopens the app's page the admin last showed (kept in this page's URL as `path`).
  const path = sandboxAppPath(new URL(request.url).searchParams.get("path"));
  return json({ ...page, appSrc: page.appSrc.replace(/\/app\?/, `${path}?`) }, { headers: { "Cache-Control": "no-store" } });
}

export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const { handleSandboxAdminAction } = await import("~/lib/sandbox/commerce7.server");
  return json(await handleSandboxAdminAction(request));
}

const field = { display: "grid", gap: 4 } as const;

/** The admin's URL names the app's page (`path`), so a reload reopens it. */
function keepPathInUrl(path: string) {
  if (!path.startsWith("/app")) return;
  const url = new URL(window.location.href);
  if (path === "/app") url.searchParams.delete("path");
  else url.searchParams.set("path", path);
  window.history.replaceState(window.history.state, "", url);
}

export default function Commerce7SandboxAdmin() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [height, setHeight] = useState(480);
  const [loading, setLoading] = useState(true);
  const location = useLocation();

  // The frame is (re)entered only when who opens the app changes (tenant,
  // user, theme, activation). Applying a failure mode or resetting the API
  // re-runs this page's loader, which signs a new account token: that alone
  // must not re-enter the app, or a failure while browsing could never be shown.
  // "Open the app as this user" stamps `opened`, so asking again re-enters even with the same user.
  const opened = new URLSearchParams(location.search).get("opened");
  const identity = JSON.stringify([data.tenantId, data.theme, data.user, data.installed, opened]);
  const [entry, setEntry] = useState({ identity, src: data.appSrc });
  if (entry.identity !== identity) {
    setEntry({ identity, src: data.appSrc });
    setLoading(true);
  }

  // The stand-in commerce7.js in the framed app reports its height, as the real one does, and its page.
  const { appOrigin } = data;
  const appPath = useRef<string | null>(null);
  useEffect(() => {
    function onMessage(event: MessageEvent) {
      if (event.origin !== (appOrigin ?? window.location.origin)) return;
      const message = event.data as { type?: string; height?: number; path?: string } | null;
      if (message?.type === "commerce7-sandbox:height" && typeof message.height === "number") {
        setHeight(Math.max(240, Math.min(message.height + 16, 4000)));
        setLoading(false); // the app's page is up (also when it loaded before this page hydrated)
      } else if (message?.type === "commerce7-sandbox:path" && typeof message.path === "string") {
        appPath.current = message.path;
        keepPathInUrl(message.path);
      }
    }
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [appOrigin]);
  // A page without the stand-in commerce7.js (an error page) reports no height,
  // and a frame that finished loading before this page hydrated fired its load
  // event before onLoad was attached: look at the frame itself once hydrated.
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    const check = requestAnimationFrame(() => {
      try {
        // The initial about:blank is "complete" too, while the app's page is still on its way.
        const doc = frame.current?.contentDocument;
        if (doc?.readyState === "complete" && doc.location.href !== "about:blank") setLoading(false);
      } catch {
        // Another origin (SANDBOX_ADMIN_URL): its load event or height message ends the status.
      }
    });
    return () => cancelAnimationFrame(check);
  }, [entry.src]);
  // After this page's own navigations (Apply, Install) the URL is Remix's again: put the app's page back.
  useEffect(() => {
    if (appPath.current) keepPathInUrl(appPath.current);
  }, [location.key]);

  // The counter a developer watches while clicking through the framed app:
  // re-read every second, since the app's own requests do not reload this page.
  const [liveCalls, setLiveCalls] = useState<number | null>(null);
  const accountUserCalls = liveCalls ?? data.report.accountUserCalls;
  useEffect(() => {
    const timer = window.setInterval(async () => {
      if (document.visibilityState !== "visible") return;
      try {
        const report = (await (await fetch("/sandbox/commerce7/control", { cache: "no-store" })).json()) as { accountUserCalls?: unknown };
        if (typeof report.accountUserCalls === "number") setLiveCalls(report.accountUserCalls);
      } catch {
        // the dev server restarting: the next tick tries again
      }
    }, 1000);
    return () => window.clearInterval(timer);
  }, []);

  return (
    <Page fullWidth title="Commerce7 admin (sandbox)" subtitle="A local stand-in for the Commerce7 admin. Never runs in production.">
      <BlockStack gap="400">
        {result ? <Banner tone={result.ok ? "success" : "critical"}>{result.message}</Banner> : null}
        <Card>
          <BlockStack gap="300">
            <InlineStack gap="200" blockAlign="center">
              <Text as="h2" variant="headingMd">
                Tenant {data.tenantId}
              </Text>
              {data.installed ? <Badge tone="success">activated</Badge> : <Badge tone="attention">not activated</Badge>}
            </InlineStack>
            <Form
              method="get"
              onSubmit={(event) => {
                const stamp = event.currentTarget.elements.namedItem("opened");
                if (stamp instanceof HTMLInputElement) stamp.value = String(Date.now());
              }}
            >
              <input type="hidden" name="opened" defaultValue="" />
              <InlineStack gap="300" blockAlign="end">
                <label style={field}>
                  Tenant id <input name="tenantId" defaultValue={data.tenantId} />
                </label>
                <label style={field}>
                  First name <input name="firstName" defaultValue={data.user.firstName} />
                </label>
                <label style={field}>
                  Last name <input name="lastName" defaultValue={data.user.lastName} />
                </label>
                <label style={field}>
                  Email <input name="email" type="email" defaultValue={data.user.email} />
                </label>
                <label style={field}>
                  adminUITheme
                  <select name="adminUITheme" defaultValue={data.theme}>
                    <option value="light">light</option>
                    <option value="dark">dark</option>
                  </select>
                </label>
                <button type="submit">Open the app as this user</button>
              </InlineStack>
            </Form>
            <InlineStack gap="300">
              <Form method="post">
                <input type="hidden" name="intent" value="install" />
                <button type="submit">Install on test tenant</button>
              </Form>
              <Form method="post">
                <input type="hidden" name="intent" value="uninstall" />
                <button type="submit">Uninstall</button>
              </Form>
            </InlineStack>
            <Text as="p" tone="subdued">
              Install and Uninstall send the real activation/deactivation POSTs with Basic auth
              {data.installUser ? ` (user "${data.installUser}")` : ""}.
            </Text>
          </BlockStack>
        </Card>
        <Card>
          <BlockStack gap="300">
            <Text as="h2" variant="headingMd">
              Commerce7 API: GET /account/user calls so far: <span data-testid="account-user-calls">{accountUserCalls}</span>
            </Text>
            <Form method="post">
              <input type="hidden" name="intent" value="configure" />
              <InlineStack gap="300" blockAlign="end">
                <label style={field}>
                  Latency (ms) <input name="latencyMs" type="number" min={0} defaultValue={data.report.latencyMs} />
                </label>
                <label style={field}>
                  Failure mode
                  <select name="mode" defaultValue={data.report.failure.mode}>
                    {data.failureModes.map((mode) => (
                      <option key={mode} value={mode}>
                        {mode}
                      </option>
                    ))}
                  </select>
                </label>
                <label style={field}>
                  For how many calls (empty: all)
                  <input name="times" type="number" min={1} defaultValue={data.report.failure.remaining ?? ""} />
                </label>
                <label style={field}>
                  Retry-After (s, for 429)
                  <input name="retryAfterSeconds" type="number" min={0} defaultValue={data.report.failure.retryAfterSeconds} />
                </label>
                <button type="submit">Apply</button>
              </InlineStack>
            </Form>
            <Form method="post">
              <input type="hidden" name="intent" value="reset" />
              <button type="submit">Reset the sandbox API (and the counter)</button>
            </Form>
          </BlockStack>
        </Card>
        <Card padding="0">
          {/* What the real admin shows while an app loads: the merchant sees something is happening. */}
          {loading ? (
            <div role="status" style={{ padding: "8px 16px" }}>
              <Text as="span" tone="subdued">
                Opening the app…
              </Text>
            </div>
          ) : null}
          <iframe
            title="The app, as the Commerce7 admin frames it"
            ref={frame}
            src={entry.src}
            onLoad={() => setLoading(false)}
            style={{ width: "100%", height, border: 0, display: "block" }}
          />
        </Card>
      </BlockStack>
    </Page>
  );
}
