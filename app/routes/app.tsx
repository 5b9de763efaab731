import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { commerce7ScriptUrl } from "~/lib/commerce7.server";
import { requireAppSession } from "~/lib/sessions.server";

/**
 * Layout of every /app page. Remix runs child loaders in parallel with this
 * one, so each child loader and action calls requireAppSession itself too.
 * Its `theme` (the admin's light/dark) is applied by root.tsx.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({
    theme: session.theme,
    // Pages shown in the Commerce7 admin load commerce7.js (it sizes the iframe).
    platformScript: session.platform === "commerce7" ? commerce7ScriptUrl() : null,
  });
}

export default function AppLayout() {
  const { platformScript } = useLoaderData<typeof loader>();
  return (
    <>
      <Outlet />
      {platformScript ? <script src={platformScript} async /> : null}
    </>
  );
}
