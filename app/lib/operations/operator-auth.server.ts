/**
 * Operator endpoints (cleanup, metrics) are called by machines with a shared
 * secret: `Authorization: Bearer <CRON_SECRET>` (or METRICS_TOKEN for the
 * metrics scraper). Compared in constant time: both sides are hashed to
 * SHA-256 first, so neither the secret's content nor its length shows in
 * the timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { recordAuthFailure } from "~/lib/operations/audit.server";
import { env } from "~/lib/env.server";
import { DatabaseUnavailableError } from "~/lib/db/errors.server";
import { jsonError } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import { countFailure, refuseRepeatedFailures } from "~/lib/operations/rate-limit.server";

export type OperatorScope = "cleanup" | "metrics";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Constant-time equality of two strings of any length. */
export function safeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The secrets that open a scope: CRON_SECRET for cleanup; METRICS_TOKEN or CRON_SECRET for metrics. */
function secretsFor(scope: OperatorScope): string[] {
  const e = env();
  const secrets = scope === "metrics" ? [e.METRICS_TOKEN, e.CRON_SECRET] : [e.CRON_SECRET];
  return secrets.filter((s): s is string => Boolean(s));
}

const HINT: Record<OperatorScope, string> = {
  cleanup: "Send Authorization: Bearer <CRON_SECRET>.",
  metrics: "Send Authorization: Bearer <METRICS_TOKEN> (or CRON_SECRET).",
};

/**
 * The failure throttle's counters live in the database. The metrics must
 * still answer while it is down (that is when app_database_up 0 matters), so
 * there the throttle steps aside; cleanup needs the database anyway.
 */
async function unlessDatabaseDown(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    logger.warn({ event: "operator.throttle_unavailable" }, "database down: operator failures are not throttled until it is back");
  }
}

/**
 * Throw 401 JSON unless the request carries a secret for this scope. With no
 * secret configured, every request is refused (and a warning says why).
 */
export async function requireOperatorToken(request: Request, scope: OperatorScope): Promise<void> {
  // Wrong secrets are throttled per IP on every operator endpoint, looked at before this one is compared.
  await unlessDatabaseDown(() => refuseRepeatedFailures(request, "operator"));
  const secrets = secretsFor(scope);
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer (\S{1,1024})$/i.exec(header.trim());
  // Every configured secret is compared (no early exit), so timing does not say which matched.
  let ok = false;
  for (const secret of secrets) if (match && safeEqual(match[1], secret)) ok = true;
  if (ok) return;

  if (secrets.length === 0) {
    logger.warn(
      { event: "operator.not_configured", scope },
      scope === "cleanup" ? "CRON_SECRET is not set: the cleanup endpoint refuses every request" : "neither METRICS_TOKEN nor CRON_SECRET is set: metrics are closed",
    );
  }
  await recordAuthFailure(request, "operator_token", { scope, presented: match ? "wrong secret" : "no bearer" });
  await unlessDatabaseDown(() => countFailure(request, "operator"));
  throw jsonError(401, "unauthorized", HINT[scope], { "WWW-Authenticate": 'Bearer realm="operator"' });
}
