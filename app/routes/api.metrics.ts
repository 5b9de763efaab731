import type { LoaderFunctionArgs } from "@remix-run/node";
import { NO_STORE } from "~/lib/http.server";
import { renderMetrics } from "~/lib/operations/metrics.server";
import { requireOperatorToken } from "~/lib/operations/operator-auth.server";

/**
 * GET /api/metrics: Prometheus text format, for `Authorization: Bearer
 * $METRICS_TOKEN` (or CRON_SECRET). With the database down it still answers,
 * with app_database_up 0 and no active-sessions gauge.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireOperatorToken(request, "metrics");
  const { body, contentType } = await renderMetrics();
  return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": NO_STORE } });
}
