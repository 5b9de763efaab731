import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { advanceClock, now } from "~/lib/clock.server";
import { jsonError } from "~/lib/http.server";
import { requireSandbox } from "~/lib/platforms/plug.server";
import { readJsonBody } from "~/lib/request-body.server";

/**
 * POST /sandbox/clock {"advanceSeconds": n}: moves the app's clock (development
 * and tests only), so browser tests can watch a session expire without
 * waiting. 404 unless the platform sandbox is plugged in: never in
 * production, never with real platform credentials.
 */
export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const body = z.object({ advanceSeconds: z.number().int().min(0).max(400 * 86400) }).safeParse(await readJsonBody(request));
  if (!body.success) throw jsonError(400, "bad_request", "Send {\"advanceSeconds\": <seconds>}.");
  advanceClock(body.data.advanceSeconds * 1000);
  return json({ now: now().toISOString() }, { headers: { "Cache-Control": "no-store" } });
}

export function loader() {
  requireSandbox();
  return json({ now: now().toISOString() }, { headers: { "Cache-Control": "no-store" } });
}
