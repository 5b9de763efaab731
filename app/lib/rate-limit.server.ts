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
 * are never counted.
 *
 *   await enforceRateLimit(request, "install", { client: shop });  // throws 429 when over
 */
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { RateLimitHit, RateLimitRule } from "~/lib/db/store.server";
import { env, type Env, type RateLimitSetting } from "~/lib/env.server";
import { tooManyRequestsResponse } from "~/lib/http.server";
import { recordRateLimited } from "~/lib/audit.server";
import { clientIp } from "~/lib/request-context.server";

export type RateLimitBucket = "entry" | "handoff" | "install" | "logout" | "cleanup";

type LimitSettingName = {
  [K in keyof Env]-?: Env[K] extends RateLimitSetting | null ? K : never;
}[keyof Env];

/** Which settings limit each endpoint, per IP and (where the tenant is known before any work) per tenant. */
const BUCKET_SETTINGS: Record<RateLimitBucket, { ip: LimitSettingName; client?: LimitSettingName }> = {
  entry: { ip: "RATE_LIMIT_ENTRY_IP", client: "RATE_LIMIT_ENTRY_CLIENT" },
  // The page redeeming the entry's one-time handoff code (session-handoff.server.ts).
  handoff: { ip: "RATE_LIMIT_HANDOFF_IP" },
  install: { ip: "RATE_LIMIT_INSTALL_IP", client: "RATE_LIMIT_INSTALL_CLIENT" },
  logout: { ip: "RATE_LIMIT_LOGOUT_IP" },
  cleanup: { ip: "RATE_LIMIT_CLEANUP_IP" },
};

export interface RateLimitOptions {
  /**
   * The shop domain or Commerce7 tenantId the request is for, as the request
   * claims it (not yet verified). Keyed separately from the IP, so one tenant
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
  const ipLimit = e[names.ip];
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
