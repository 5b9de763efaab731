/**
 * The cleanup function as its four callers use it (settings, exclusive
 * scheduled runs, the in-process schedule), in-process on PGlite. The SQL
 * behind it is in tests/contract; the endpoint and the CLI are tested over
 * HTTP and as a child process.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import { cleanupExpiredSessions, runScheduledCleanup, startCleanupSchedule, stopCleanupSchedule } from "~/lib/operations/cleanup.server";
import { resetEnv } from "~/lib/env.server";
import { renderMetrics } from "~/lib/operations/metrics.server";
import type { TestDatabase } from "../../../tests/support/databases";
import { sample } from "../../../tests/support/metrics";
import { useTestDatabase } from "../../../tests/support/use-database";

const DAY = 24 * 3600_000;

describe("session cleanup", () => {
  const database = useTestDatabase();
  let db: TestDatabase;

  beforeAll(() => {
    db = database();
  });
  afterAll(() => {
    delete process.env.SESSION_EVENT_RETENTION_DAYS;
    resetEnv();
    stopCleanupSchedule();
  });
  beforeEach(() => {
    freezeClock(new Date("2026-11-23T09:00:00Z"));
  });

  it("keeps audit rows for SESSION_EVENT_RETENTION_DAYS (default 90)", async () => {
    await db.store.recordSessionEvent({ event: "auth_failed", detail: { kind: "test" } }, now());
    advanceClock(45 * DAY);
    expect((await cleanupExpiredSessions()).sessionEvents).toBe(0);
    process.env.SESSION_EVENT_RETENTION_DAYS = "30";
    resetEnv();
    expect((await cleanupExpiredSessions()).sessionEvents).toBe(1);
  });

  it("a scheduled run cleans on one holder and is skipped on another, and both are counted", async () => {
    const runs = async (status: string) =>
      sample((await renderMetrics()).body, `app_session_cleanup_runs_total{trigger="schedule",status="${status}"}`) ?? 0;
    const [ran, skipped] = [await runs("ran"), await runs("skipped")];
    expect((await runScheduledCleanup("instance-a")).status).toBe("ran");
    expect(await runScheduledCleanup("instance-b")).toMatchObject({ status: "skipped", batches: 0, appSessions: 0 });
    expect((await runs("ran")) - ran).toBe(1);
    expect((await runs("skipped")) - skipped).toBe(1);
  });

  it("SESSION_CLEANUP_CRON starts a schedule with its next run; none when unset", () => {
    expect(startCleanupSchedule(undefined)).toBeNull();
    const job = startCleanupSchedule("*/15 * * * *");
    const next = job?.nextRun();
    expect(next).toBeInstanceOf(Date);
    expect([0, 15, 30, 45]).toContain(next?.getMinutes());
    expect(job?.isRunning()).toBe(true);
    stopCleanupSchedule();
    expect(job?.isStopped()).toBe(true);
  });
});
