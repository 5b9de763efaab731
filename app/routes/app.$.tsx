import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { isRouteErrorResponse, useRouteError, useRouteLoaderData } from "@remix-run/react";
import { ServiceProblem } from "~/components/SessionEnded";
import { requireAppSession } from "~/lib/sessions/core.server";
import type { loader as rootLoader } from "~/root";

/**
 * /app/<anything else>: a page that does not exist, shown inside the app
 * (its tabs, the admin's theme, the frame sized to it) with a way back to
 * the dashboard. Without a session, the session's own refusal comes first.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireAppSession(request);
  throw json({ error: "not_found", message: "This page doesn't exist in the app. Check the address, or go back to the dashboard." }, { status: 404 });
}

export function ErrorBoundary() {
  const error = useRouteError();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  // A refusal of the session itself goes up to root's boundary (it explains and links to the admin).
  if (!isRouteErrorResponse(error) || error.status !== 404) throw error;
  return <ServiceProblem status={404} supportUrl={root?.supportUrl} />;
}

export default function NotFound() {
  return null;
}
