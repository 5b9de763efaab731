/**
 * Session cleanup: one function, four ways to run it.
 *
 *   npm run sessions:cleanup                     scripts/sessions.ts  (trigger "cli")
 *   POST /api/sessions/cleanup + CRON_SECRET     hosted cron          (trigger "http")
 *   SESSION_CLEANUP_CRON in the app              startCleanupSchedule (trigger "schedule", one instance per tick)
 *   pg_cron inside Supabase                      calls the SQL function directly (see docs/DEPLOY.md)
 *
 * Each batch is one call of the SQL function `cleanup_expired_sessions`, its
 * own short transaction: dead app sessions, audit rows older than
 * SESSION_EVENT_RETENTION_DAYS, expired OAuth nonces and closed rate-limit
 * windows, up to SESSION_CLEANUP_BATCH_SIZE of each. Batches repeat until one
 * comes back short, so a backlog never holds many locks for long.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Cron } from "croner";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { CleanupCounts } from "~/lib/db/store.server";
import { env } from "~/lib/env.server";
import { logger } from "~/lib/log.server";
import { metrics } from "~/lib/operations/metrics.server";

export type CleanupTrigger = "cli" | "http" | "schedule" | "direct";

export interface CleanupOptions {
  /** Rows of each kind per batch (default SESSION_CLEANUP_BATCH_SIZE). */
  batchSize?: number;
  /** Audit rows older than this many days go (default SESSION_EVENT_RETENTION_DAYS). */
  eventRetentionDays?: number;
  /** Stop after this many batches (a bound for very large backlogs); the next run continues. */
  maxBatches?: number;
  /** Who asked, for logs and metrics. */
  trigger?: CleanupTrigger;
  /**
   * Run only if no other instance is cleaning: each batch takes a
   * transaction-scoped advisory lock and renews a lease held by `holder`.
   */
  exclusive?: { holder: string; leaseSeconds: number };
}

export interface CleanupResult extends CleanupCounts {
  /** "skipped": another instance holds the cleanup (exclusive runs only); nothing was removed. */
  status: "ran" | "skipped";
  batches: number;
}

const KINDS = ["appSessions", "sessionEvents", "oauthStates", "rateLimitCounters", "webhookDeliveries"] as const;

/** Remove dead sessions, old audit rows, expired nonces, closed rate-limit windows and old webhook ids, batch by batch. */
export async function cleanupExpiredSessions(options: CleanupOptions = {}): Promise<CleanupResult> {
  const settings = env();
  const batch = {
    batchSize: options.batchSize ?? settings.SESSION_CLEANUP_BATCH_SIZE,
    eventRetentionDays: options.eventRetentionDays ?? settings.SESSION_EVENT_RETENTION_DAYS,
  };
  const maxBatches = options.maxBatches ?? 10_000;
  const trigger = options.trigger ?? "direct";
  const m = metrics();
  const started = performance.now();
  const total: CleanupResult = { status: "ran", batches: 0, appSessions: 0, sessionEvents: 0, oauthStates: 0, rateLimitCounters: 0, webhookDeliveries: 0 };

  try {
    const store = await getStore();
    while (total.batches < maxBatches) {
      const removed = options.exclusive
        ? await store.cleanupBatchExclusive({ ...batch, ...options.exclusive }, now())
        : { status: "ran" as const, ...(await store.cleanupBatch(batch, now())) };
      if (removed.status === "skipped") {
        // First batch: another instance has it. Later: it took over; it finishes.
        if (total.batches === 0) total.status = "skipped";
        break;
      }
      total.batches += 1;
      for (const kind of KINDS) total[kind] += removed[kind];
      if (Math.max(...KINDS.map((kind) => removed[kind])) < batch.batchSize) break;
    }
  } catch (error) {
    m.cleanupRuns.inc({ trigger, status: "failed" });
    logger.error({ event: "sessions.cleanup_failed", trigger, err: (error as Error).message }, "session cleanup failed");
    throw error;
  }

  m.cleanupRuns.inc({ trigger, status: total.status });
  for (const kind of KINDS) if (total[kind] > 0) m.cleanupRemoved.inc({ kind }, total[kind]);
  const line = { event: "sessions.cleanup", trigger, ...total, durationMs: Math.round(performance.now() - started) };
  if (total.status === "skipped") logger.debug(line, "session cleanup skipped: another instance is running it");
  else logger.info(line, "session cleanup ran");
  return total;
}

// --- in-process schedule -------------------------------------------------------

/** How long a scheduled run keeps other instances out (renewed by each batch). */
const LEASE_SECONDS = 300;

/** Identifies this process as the holder of the cleanup lease. */
const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

let job: Cron | null = null;

/** What each tick of SESSION_CLEANUP_CRON runs: an exclusive cleanup ("skipped" on every instance but one). */
export function runScheduledCleanup(holderId = holder): Promise<CleanupResult> {
  return cleanupExpiredSessions({ trigger: "schedule", exclusive: { holder: holderId, leaseSeconds: LEASE_SECONDS } });
}

/**
 * Start the in-process schedule when SESSION_CLEANUP_CRON is set (server.js
 * boot). Overlapping ticks are skipped (croner `protect`), failures are
 * logged and the next tick tries again. Returns the job, or null when off.
 */
export function startCleanupSchedule(pattern = env().SESSION_CLEANUP_CRON): Cron | null {
  stopCleanupSchedule();
  if (!pattern) return null;
  job = new Cron(
    pattern,
    {
      name: "session-cleanup",
      protect: true,
      unref: true,
      // Logged by cleanupExpiredSessions; the schedule carries on.
      catch: () => {},
    },
    async () => {
      await runScheduledCleanup();
    },
  );
  logger.info(
    { event: "sessions.cleanup_scheduled", pattern, holder, nextRun: job.nextRun()?.toISOString() ?? null },
    "session cleanup scheduled in this process",
  );
  return job;
}

export function stopCleanupSchedule(): void {
  job?.stop();
  job = null;
}
