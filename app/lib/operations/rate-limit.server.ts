/**
 * Rate limits shared by every app instance: the counters live in Postgres
 * (`rate_limit_counters`, one fixed-window row per bucket, key and window),
 * and one SQL function (`hit_rate_limits`) counts a hit against the per-IP
 * and the per-tenant limit of an endpoint in a single round trip.
 *
 * Written here rather than taken from a library: the libraries with a
 * Postgres store (rate-limiter-flexible, express-rate-limit stores) drive
 * their own SQL through `pg` and create their own table, so they could not
 * run on PGlite or through supabase-js .rpc(), and would cost a round trip
 * per key. This is one upsert per key inside one function call.
 *
 * Only the endpoints that create or destroy things are limited (entry and
 * its handoff, install, logout, cleanup): counting is a write, so plain session checks
 * are never counted. Doors that check a credential (entry, Commerce7 Basic
 * auth, operator secrets) also throttle their FAILURES per IP, looked at
 * before the credential is (throttlingFailures, below).
 *
 *   await enforceRateLimit(request, "install", { client: shop });  // throws 429 when over
 */
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { RateLimitHit, RateLimitRule } from "~/lib/db/store.server";
import { env, type Env, type RateLimitSetting } from "~/lib/env.server";
import { tooManyRequestsResponse } from "~/lib/http.server";
import { recordRateLimited } from "~/lib/operations/audit.server";
import { clientIp } from "~/lib/sessions/request-context.server";

export type RateLimitBucket = "entry" | "entry_verified" | "handoff" | "install" | "logout" | "cleanup";

type LimitSettingName = {
  [K in keyof Env]-?: Env[K] extends RateLimitSetting | null ? K : never;
}[keyof Env];

/**
 * Which settings limit each endpoint, per IP and per tenant. A tenant is
 * keyed only where it is proved before the count: by the platform (an entry
 * it verified) or by the caller's own credential (install calls).
 */
const BUCKET_SETTINGS: Record<RateLimitBucket, { ip?: LimitSettingName; client?: LimitSettingName }> = {
  // Every entry attempt, before verification: per IP only. Keying the tenant
  // the URL names here would let forged entries spend the real merchant's budget.
  entry: { ip: "RATE_LIMIT_ENTRY_IP" },
  // Entries the platform has vouched for, before the session is made: per tenant.
  entry_verified: { client: "RATE_LIMIT_ENTRY_CLIENT" },
  // The page redeeming the entry's one-time handoff code (session-handoff.server.ts).
  handoff: { ip: "RATE_LIMIT_HANDOFF_IP" },
  install: { ip: "RATE_LIMIT_INSTALL_IP", client: "RATE_LIMIT_INSTALL_CLIENT" },
  logout: { ip: "RATE_LIMIT_LOGOUT_IP" },
  cleanup: { ip: "RATE_LIMIT_CLEANUP_IP" },
};

export interface RateLimitOptions {
  /**
   * The shop domain or Commerce7 tenantId the request is for, once proved
   * (see BUCKET_SETTINGS). Keyed separately from the IP, so one tenant
   * cannot be flooded from many addresses.
   */
  client?: string | null;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** When refused: seconds until the tightest exceeded window closes. */
  retryAfterSeconds: number;
  hits: Array<RateLimitHit & { windowSeconds: number }>;
}

function rulesFor(request: Request, bucket: RateLimitBucket, options: RateLimitOptions): RateLimitRule[] {
  const e = env();
  const names = BUCKET_SETTINGS[bucket];
  const rules: RateLimitRule[] = [];
  const ipLimit = names.ip ? e[names.ip] : null;
  if (ipLimit) {
    rules.push({ bucket: `${bucket}:ip`, key: clientIp(request) ?? "unknown", ...ipLimit });
  }
  const client = options.client?.trim().toLowerCase().slice(0, 255);
  const clientLimit = names.client ? e[names.client] : null;
  if (client && clientLimit) {
    rules.push({ bucket: `${bucket}:client`, key: client, ...clientLimit });
  }
  return rules;
}

/** Count this request against its endpoint's limits and say whether it may proceed. One round trip. */
export async function checkRateLimit(
  request: Request,
  bucket: RateLimitBucket,
  options: RateLimitOptions = {},
): Promise<RateLimitDecision> {
  const rules = rulesFor(request, bucket, options);
  if (rules.length === 0) return { allowed: true, retryAfterSeconds: 0, hits: [] };
  const store = await getStore();
  const windows = new Map(rules.map((rule) => [rule.bucket, rule.windowSeconds]));
  const hits = (await store.hitRateLimits(rules, now())).map((hit) => ({
    ...hit,
    windowSeconds: windows.get(hit.bucket) ?? 0,
  }));
  const exceeded = hits.filter((hit) => !hit.allowed);
  return {
    allowed: exceeded.length === 0,
    retryAfterSeconds: exceeded.length === 0 ? 0 : Math.max(...exceeded.map((hit) => hit.retryAfterSeconds)),
    hits,
  };
}

/**
 * Throw 429 (JSON `{error: "rate_limited", message, retryAfter}` and a
 * `Retry-After` header) when the request is over its endpoint's limit; the
 * caller has done nothing yet. A database outage throws as usual (503 under
 * withDatabase): limits fail closed.
 */
export async function enforceRateLimit(
  request: Request,
  bucket: RateLimitBucket,
  options: RateLimitOptions = {},
): Promise<void> {
  const decision = await checkRateLimit(request, bucket, options);
  if (decision.allowed) return;
  const exceeded = decision.hits.filter((hit) => !hit.allowed);
  await recordRateLimited(request, bucket, {
    limit: exceeded.map((hit) => `${hit.bucket} ${hit.limit}/${hit.windowSeconds}s`).join(", "),
    retryAfterSeconds: decision.retryAfterSeconds,
    clientKey: exceeded.some((hit) => hit.bucket.endsWith(":client")) ? (options.client ?? null) : null,
  });
  throw tooManyRequestsResponse(decision.retryAfterSeconds);
}

// --- failure throttles ---------------------------------------------------------

/**
 * Doors where a caller presents a credential we must check: each counts its
 * FAILED attempts per IP, and an IP over its limit is refused BEFORE its next
 * credential is looked at (so guessing is bounded, however the check ends).
 * Successes are never counted: a merchant or Commerce7 with the right
 * credential is not slowed by someone else's failures from other addresses.
 */
export type FailureDoor = "entry" | "install_auth" | "operator";

const FAILURE_SETTINGS: Record<FailureDoor, LimitSettingName> = {
  // An entry the platform refused, or that was malformed.
  entry: "RATE_LIMIT_ENTRY_FAILURES_IP",
  // A wrong Basic auth pair on /install/commerce7 or /uninstall/commerce7.
  install_auth: "RATE_LIMIT_INSTALL_AUTH_FAILURES_IP",
  // A wrong or missing CRON_SECRET / METRICS_TOKEN on /api/metrics or /api/sessions/cleanup.
  operator: "RATE_LIMIT_OPERATOR_FAILURES_IP",
};

function failureRules(request: Request, door: FailureDoor): RateLimitRule[] {
  const limit = env()[FAILURE_SETTINGS[door]];
  return limit ? [{ bucket: `${door}_failed:ip`, key: clientIp(request) ?? "unknown", ...limit }] : [];
}

/**
 * Throw 429 when this request's IP has already failed too often at `door`
 * in the current window. Counts nothing: call countFailure when the
 * credential turns out wrong. A database outage throws (fail closed).
 */
export async function refuseRepeatedFailures(request: Request, door: FailureDoor): Promise<void> {
  const rules = failureRules(request, door);
  if (rules.length === 0) return;
  const [standing] = await (await getStore()).peekRateLimits(rules, now());
  if (!standing || standing.allowed) return;
  await recordRateLimited(request, `${door}_failed`, {
    limit: `${standing.bucket} ${standing.limit}/${rules[0].windowSeconds}s`,
    retryAfterSeconds: standing.retryAfterSeconds,
  });
  throw tooManyRequestsResponse(standing.retryAfterSeconds);
}

/** Count one failed attempt at `door` against this request's IP. */
export async function countFailure(request: Request, door: FailureDoor): Promise<void> {
  const rules = failureRules(request, door);
  if (rules.length > 0) await (await getStore()).hitRateLimits(rules, now());
}

/**
 * Run a credential check behind its door's failure throttle: refused up
 * front when the IP has failed too often; a Response the check throws with a
 * 4xx status (other than 429, the throttles' own) is counted as a failure.
 */
export async function throttlingFailures<T>(request: Request, door: FailureDoor, check: () => Promise<T>): Promise<T> {
  await refuseRepeatedFailures(request, door);
  try {
    return await check();
  } catch (thrown) {
    if (thrown instanceof Response && thrown.status >= 400 && thrown.status < 500 && thrown.status !== 429) {
      await countFailure(request, door);
    }
    throw thrown;
  }
}
