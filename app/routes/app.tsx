import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Outlet, useLoaderData, useLocation, useNavigate } from "@remix-run/react";
import { Button, Frame, InlineStack, Tabs } from "@shopify/polaris";
import { useCallback, useMemo } from "react";
import { CsrfInput } from "~/components/CsrfInput";
import { useSessionSync } from "~/hooks/useSessionSync";
import { commerce7ScriptUrl } from "~/lib/commerce7.server";
import { reasonPath } from "~/lib/http.server";
import { requireAppSession } from "~/lib/sessions.server";

/**
 * Layout of every /app page. Remix runs child loaders in parallel with this
 * one, so each child loader and action calls requireAppSession itself too
 * (one resolution per request is shared between them). Its `theme` (the
 * admin's light/dark) is applied by root.tsx.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({
    platform: session.platform,
    theme: session.theme,
    csrfToken: session.csrfToken,
    loggedOutUrl: reasonPath("logged_out", { platform: session.platform, externalId: session.clientExternalId }),
    // Pages shown in the Commerce7 admin load commerce7.js (it sizes the iframe).
    platformScript: session.platform === "commerce7" ? commerce7ScriptUrl() : null,
  });
}

const PAGES = [
  { id: "dashboard", content: "Dashboard", path: "/app" },
  { id: "settings", content: "Settings", path: "/app/settings" },
  { id: "sessions", content: "Sessions", path: "/app/sessions" },
];

export default function AppLayout() {
  const { loggedOutUrl, platformScript } = useLoaderData<typeof loader>();
  const { announceLogout } = useSessionSync();
  const location = useLocation();
  const navigate = useNavigate();
  const selected = useMemo(
    () => Math.max(0, PAGES.findIndex((p) => p.path === location.pathname.replace(/\/$/, ""))),
    [location.pathname],
  );
  const onSelect = useCallback((index: number) => navigate(PAGES[index].path), [navigate]);

  return (
    <Frame>
      <nav aria-label="App pages">
        <InlineStack align="space-between" blockAlign="center" wrap={false}>
          <Tabs tabs={PAGES} selected={selected} onSelect={onSelect} />
          <Form method="post" action="/logout" onSubmit={() => announceLogout(loggedOutUrl)}>
            <CsrfInput />
            <Button submit variant="tertiary">
              Log out
            </Button>
          </Form>
        </InlineStack>
      </nav>
      <Outlet />
      {platformScript ? <script src={platformScript} async /> : null}
    </Frame>
  );
}
