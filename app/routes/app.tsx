import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Outlet } from "@remix-run/react";
import { requireAppSession } from "~/lib/sessions.server";

/**
 * Layout of every /app page. Remix runs child loaders in parallel with this
 * one, so each child loader and action calls requireAppSession itself too.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({ theme: session.theme });
}

export default function AppLayout() {
  return <Outlet />;
}
