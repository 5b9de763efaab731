import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Outlet, useLoaderData, useLocation, useNavigate } from "@remix-run/react";
import { Button, Frame, InlineStack, Tabs } from "@shopify/polaris";
import { useCallback, useMemo } from "react";
import { CsrfInput } from "~/components/CsrfInput";
import { useSessionSync } from "~/hooks/useSessionSync";
import { reasonPath } from "~/lib/http.server";
import { requireAppSession } from "~/lib/sessions.server";

/**
 * Layout of every /app page. Remix runs child loaders in parallel with this
 * one, so each child loader and action calls requireAppSession itself too
 * (one resolution per request is shared between them).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({
    platform: session.platform,
    theme: session.theme,
    csrfToken: session.csrfToken,
    loggedOutUrl: reasonPath("logged_out", { platform: session.platform, externalId: session.clientExternalId }),
  });
}

const PAGES = [
  { id: "dashboard", content: "Dashboard", path: "/app" },
  { id: "settings", content: "Settings", path: "/app/settings" },
  { id: "sessions", content: "Sessions", path: "/app/sessions" },
];

export default function AppLayout() {
  const { loggedOutUrl } = useLoaderData<typeof loader>();
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
    </Frame>
  );
}
