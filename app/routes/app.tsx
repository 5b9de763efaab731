import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, Outlet, useLoaderData, useLocation, useNavigate } from "@remix-run/react";
import { Box, Button, Frame, InlineStack, Tabs } from "@shopify/polaris";
import { useCallback, useEffect, useMemo } from "react";
import { CsrfInput } from "~/components/CsrfInput";
import type { AppFrameData } from "~/hooks/useAppFrame";
import { useSessionSync } from "~/hooks/useSessionSync";
import { commerce7ScriptUrl } from "~/lib/platforms/commerce7.server";
import { originOf, reasonPath } from "~/lib/http.server";
import { redeemHandoff } from "~/lib/sessions/session-token.client";
import { requireAppSession } from "~/lib/sessions/core.server";

/**
 * Layout of every /app page. Remix runs child loaders in parallel with this
 * one, so each child loader and action calls requireAppSession itself too
 * (one resolution per request is shared between them). Its `theme` (the
 * admin's light/dark) is applied by root.tsx.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json<AppFrameData>({
    platform: session.platform,
    theme: session.theme,
    csrfToken: session.csrfToken,
    loggedOutUrl: reasonPath("logged_out", originOf(session)),
    // Pages shown in the Commerce7 admin load commerce7.js (it sizes the iframe).
    platformScript: session.platform === "commerce7" ? commerce7ScriptUrl() : null,
    // The entry's one-time code for this page's session token, where the
    // browser refuses the cookie (session-handoff.server.ts). Never the token.
    handoff: session.via === "entry" ? (session.handoffCode ?? null) : null,
  });
}

const PAGES = [
  { id: "dashboard", content: "Dashboard", path: "/app" },
  { id: "settings", content: "Settings", path: "/app/settings" },
  { id: "sessions", content: "Sessions", path: "/app/sessions" },
];

/**
 * The Shopify admin draws the app's navigation in its own sidebar from App
 * Bridge's `<ui-nav-menu>` (first child: the home link, not shown as an
 * item). Remix links, so a click App Bridge forwards navigates client-side.
 */
function ShopifyNavMenu() {
  return (
    <ui-nav-menu>
      <Link to="/app" rel="home">
        Dashboard
      </Link>
      <Link to="/app/settings">Settings</Link>
      <Link to="/app/sessions">Sessions</Link>
    </ui-nav-menu>
  );
}

/** Elsewhere (the Commerce7 admin), the app's own Polaris tabs. */
function AppTabs() {
  const location = useLocation();
  const navigate = useNavigate();
  const selected = useMemo(
    () => Math.max(0, PAGES.findIndex((p) => p.path === location.pathname.replace(/\/$/, ""))),
    [location.pathname],
  );
  const onSelect = useCallback((index: number) => navigate(PAGES[index].path), [navigate]);
  return <Tabs tabs={PAGES} selected={selected} onSelect={onSelect} />;
}

export default function AppLayout() {
  const { platform, loggedOutUrl, platformScript, handoff } = useLoaderData<typeof loader>();
  const { announceLogout } = useSessionSync();
  useEffect(() => {
    if (handoff) void redeemHandoff(handoff);
  }, [handoff]);
  const inShopify = platform === "shopify";

  return (
    <div className={platformScript ? "app-fit-content" : undefined}>
      <Frame>
        {/*
          In the Shopify admin: the admin's own sidebar, and no "Log out" of
          ours. Shopify signs its staff in; the next request would sign the
          merchant straight back in through App Bridge, so a Log out here
          would mean nothing (docs/SHOPIFY.md, "Signing out").
        */}
        {inShopify ? (
          <ShopifyNavMenu />
        ) : (
          <Box paddingInlineEnd="200">
            <InlineStack align="space-between" blockAlign="center" wrap={false}>
              <nav aria-label="App pages">
                <AppTabs />
              </nav>
              <Form method="post" action="/logout" className="app-logout" onSubmit={() => announceLogout(loggedOutUrl)}>
                <CsrfInput />
                <Button submit variant="tertiary">
                  Log out
                </Button>
              </Form>
            </InlineStack>
          </Box>
        )}
        <Outlet />
        {platformScript ? <script src={platformScript} async /> : null}
      </Frame>
    </div>
  );
}
