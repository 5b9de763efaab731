import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { cleanupExpiredSessions } from "~/lib/cleanup.server";
import { NO_STORE, withDatabase } from "~/lib/http.server";
import { requireOperatorToken } from "~/lib/operator-auth.server";
import { enforceRateLimit } from "~/lib/rate-limit.server";

/**
 * POST /api/sessions/cleanup with `Authorization: Bearer $CRON_SECRET`, for
 * hosted cron (Vercel, GitHub Actions...). 200 with the rows removed per kind,
 * 401 without the secret, 429 over the per-IP limit, 503 when the database
 * is down.
 */
export async function action({ request }: ActionFunctionArgs) {
  return withDatabase(async () => {
    await enforceRateLimit(request, "cleanup");
    await requireOperatorToken(request, "cleanup");
    const { status, batches, ...removed } = await cleanupExpiredSessions({ trigger: "http" });
    return json({ ok: true, status, batches, removed }, { headers: { "Cache-Control": NO_STORE } });
  });
}

export function loader() {
  return json(
    { error: "method_not_allowed", message: "Use POST with Authorization: Bearer <CRON_SECRET>." },
    { status: 405, headers: { Allow: "POST", "Cache-Control": NO_STORE } },
  );
}
