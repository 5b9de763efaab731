/**
 * Cleanup of a large backlog of expired sessions while live traffic goes on:
 * total time for cleanupExpiredSessions (short batches, each its own
 * transaction), and the live requireAppSession latency meanwhile, against the
 * same live traffic with no cleanup running.
 */
import { now } from "~/lib/clock.server";
import { setStore } from "~/lib/db/index.server";
import { resetEnv } from "~/lib/env.server";
import { cleanupExpiredSessions, createSessionCookie, requireAppSession } from "~/lib/sessions/core.server";
import type { BenchBackend } from "../lib/backends";
import { benchToken, populateSessions } from "../lib/population";
import { distribution, type Distribution } from "../lib/stats";

export interface CleanupResult {
  backend: string;
  expired: number;
  removed: number;
  seconds: number;
  batches: number;
  liveDuring: Distribution;
  liveBaseline: Distribution;
}

const LIVE = 1000;

async function liveLoop(requests: Request[], stop: () => boolean, concurrency = 4): Promise<number[]> {
  const samples: number[] = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stop()) {
        const request = requests[i++ % requests.length];
        const start = process.hrtime.bigint();
        await requireAppSession(request);
        samples.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }),
  );
  return samples;
}

export async function measureCleanup(
  backend: BenchBackend,
  expired: number,
  log: (line: string) => void,
): Promise<CleanupResult> {
  process.env.APP_SESSION_TOUCH_SECONDS = "3600";
  resetEnv();
  const client = await backend.store.upsertClient({ platform: "commerce7", externalId: "cleanup-tenant" }, now());
  // Live sessions use token numbers far above the expired ones.
  const base = 50_000_000;
  await populateSessions(backend.sql, client.id, base, base + LIVE);
  const started = Date.now();
  await populateSessions(backend.sql, client.id, 0, expired, { expired: true, chunk: 100_000 });
  log(`  ${backend.name}: ${expired.toLocaleString("en")} expired sessions inserted (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  setStore(backend.store);
  const requests = await Promise.all(
    Array.from({ length: 200 }, async (_, k) => {
      const cookie = (await createSessionCookie(benchToken(base + k * 5))).split(";")[0];
      return new Request("https://app.bench.example/app", { headers: { Cookie: cookie, Accept: "application/json" } });
    }),
  );

  const baselineUntil = Date.now() + 2000;
  const liveBaseline = distribution(await liveLoop(requests, () => Date.now() > baselineUntil));

  let done = false;
  const during = liveLoop(requests, () => done);
  const t0 = process.hrtime.bigint();
  const result = await cleanupExpiredSessions();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  done = true;
  const liveDuring = distribution(await during);
  setStore(undefined);
  process.env.APP_SESSION_TOUCH_SECONDS = "60";
  resetEnv();
  log(`  ${backend.name}: removed ${result.appSessions.toLocaleString("en")} in ${seconds.toFixed(2)} s (${result.batches} batches); live p99 ${liveDuring.p99.toFixed(0)} µs (baseline ${liveBaseline.p99.toFixed(0)} µs)`);
  return {
    backend: backend.name,
    expired,
    removed: result.appSessions,
    seconds,
    batches: result.batches,
    liveDuring,
    liveBaseline,
  };
}
