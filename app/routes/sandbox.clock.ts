import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { advanceClock, now } from "~/lib/clock.server";
import { env } from "~/lib/env.server";
import { jsonError } from "~/lib/http.server";
import { readJsonBody } from "~/lib/request-body.server";

/**
 * POST /sandbox/clock {"advanceSeconds": n}: moves the app's clock (development
 * and tests only), so browser tests can watch a session expire without
 * waiting. 404 in production.
 */
export async function action({ request }: ActionFunctionArgs) {
  if (env().isProduction) throw new Response("Not Found", { status: 404 });
  const body = z.object({ advanceSeconds: z.number().int().min(0).max(400 * 86400) }).safeParse(await readJsonBody(request));
  if (!body.success) throw jsonError(400, "bad_request", "Send {\"advanceSeconds\": <seconds>}.");
  advanceClock(body.data.advanceSeconds * 1000);
  return json({ now: now().toISOString() }, { headers: { "Cache-Control": "no-store" } });
}

export function loader() {
  if (env().isProduction) throw new Response("Not Found", { status: 404 });
  return json({ now: now().toISOString() }, { headers: { "Cache-Control": "no-store" } });
}
