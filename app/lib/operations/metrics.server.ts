/**
 * Prometheus metrics (prom-client), served by GET /api/metrics.
 *
 * Counters and the latency histogram are per process: Prometheus scrapes
 * each instance and `sum()` adds them up. The active-sessions gauge is read
 * from the database at scrape time (one SQL function, `session_stats`), so
 * every instance reports the same total: aggregate it with `max()`, not
 * `sum()`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { SessionStats } from "~/lib/db/store.server";
import { logger } from "~/lib/log.server";

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  return {
    registry,
    databaseUp: new Gauge({
      name: "app_database_up",
      help: "1 when this scrape could read session statistics from the database, 0 when not.",
      registers: [registry],
    }),
    activeSessions: new Gauge({
      name: "app_sessions_active",
      help: "Live app sessions (not revoked, expired or idle), by platform. Read from the database at scrape.",
      labelNames: ["platform"] as const,
      registers: [registry],
    }),
    sessionsCreated: new Counter({
      name: "app_sessions_created_total",
      help: "App sessions created by this instance (entry and install), by platform.",
      labelNames: ["platform"] as const,
      registers: [registry],
    }),
    sessionsExpired: new Counter({
      name: "app_sessions_expired_total",
      help: "Sessions refused at the door because they ended: reason expired (absolute limit) or idle.",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    sessionsRevoked: new Counter({
      name: "app_sessions_revoked_total",
      help: "Sessions revoked by this instance (sessions page, uninstall, hijack policy), by reason.",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    sessionsLoggedOut: new Counter({
      name: "app_sessions_logged_out_total",
      help: "Sessions destroyed by logout.",
      registers: [registry],
    }),
    authFailures: new Counter({
      name: "app_auth_failures_total",
      help: "Failed authentication attempts, by reason (bad_cookie, unknown_token, unrecognized_bearer, jwt, hmac, basic_auth, operator_token).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    suspicious: new Counter({
      name: "app_session_binding_changes_total",
      help: "Live sessions presented with another user agent (suspicious) or IP address (ip_changed).",
      labelNames: ["event"] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "app_rate_limited_total",
      help: "Requests refused with 429, by endpoint bucket.",
      labelNames: ["bucket"] as const,
      registers: [registry],
    }),
    cleanupRemoved: new Counter({
      name: "app_session_cleanup_removed_total",
      help: "Rows removed by session cleanup run in this process, by kind.",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    cleanupRuns: new Counter({
      name: "app_session_cleanup_runs_total",
      help: "Cleanup runs started in this process, by trigger (http, schedule, cli) and status (ran, skipped, failed).",
      labelNames: ["trigger", "status"] as const,
      registers: [registry],
    }),
    requireSessionSeconds: new Histogram({
      name: "app_require_session_duration_seconds",
      help: "Time to resolve a request's app session (requireAppSession, once per request), by outcome.",
      labelNames: ["outcome"] as const,
      // A valid check is one indexed read (sub-millisecond to a few ms); an entry calls the platform.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

// Kept on globalThis: development re-imports rebuilt code in the same
// process, and the counters should survive (and not be registered twice).
const holder = globalThis as typeof globalThis & { __appMetrics?: Metrics };

export function metrics(): Metrics {
  holder.__appMetrics ??= createMetrics();
  return holder.__appMetrics;
}

/**
 * The Prometheus exposition text and its content type. The database gauges
 * are read first, in one query (session_stats); with the database down the
 * scrape still answers, with app_database_up 0 and no active-sessions series.
 */
export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  let stats: SessionStats[] | null = null;
  try {
    stats = await (await getStore()).sessionStats(now());
  } catch (error) {
    logger.warn({ event: "metrics.database_unavailable", err: (error as Error).message }, "metrics: no session statistics");
  }
  m.databaseUp.set(stats ? 1 : 0);
  m.activeSessions.reset();
  for (const row of stats ?? []) m.activeSessions.set({ platform: row.platform }, row.activeSessions);
  return { body: await m.registry.metrics(), contentType: m.registry.contentType };
}
