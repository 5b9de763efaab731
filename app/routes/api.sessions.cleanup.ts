import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { cleanupExpiredSessions } from "~/lib/operations/cleanup.server";
import { NO_STORE, withDatabase } from "~/lib/http.server";
import { requireOperatorToken } from "~/lib/operations/operator-auth.server";
import { enforceRateLimit } from "~/lib/operations/rate-limit.server";

/**
 * POST /api/sessions/cleanup with `Authorization: Bearer $CRON_SECRET`, for
 * hosted cron (GitHub Actions, system cron...): 200 with the rows removed per
 * kind, 401 without the secret, 429 over the per-IP limit, 503 when the
 * database is down.
 */
export async function action({ request }: ActionFunctionArgs) {
  return runCleanup(request);
}

/**
 * The same for GET, because Vercel Cron Jobs can only send GET (with the same
 * Bearer header). Safe despite "no GET changes state": that rule guards
 * cookie-authenticated requests, and this endpoint only ever accepts a
 * secret a browser never attaches by itself (docs/decisions/004).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return runCleanup(request);
}

function runCleanup(request: Request) {
  return withDatabase(async () => {
    await enforceRateLimit(request, "cleanup");
    await requireOperatorToken(request, "cleanup");
    const { status, batches, ...removed } = await cleanupExpiredSessions({ trigger: "http" });
    return json({ ok: true, status, batches, removed }, { headers: { "Cache-Control": NO_STORE } });
  });
}
