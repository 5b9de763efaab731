/**
 * The floor and the session check, per backend and table size.
 *
 * Floor: a bare round trip (`select 1`; over PostgREST, the `ping()` function).
 * Check: requireAppSession on a real Request carrying a signed cookie, as a
 * loader calls it (cookie parse + signature + one validate_app_session call).
 * Reads: the session was active within the touch interval (most requests).
 * Touching: the interval has passed, so the call also records activity (a
 * committed UPDATE; happens at most once a minute per session).
 */
import { now } from "~/lib/clock.server";
import { setStore } from "~/lib/db/index.server";
import { resetEnv } from "~/lib/env.server";
import { createSessionCookie, requireAppSession } from "~/lib/sessions.server";
import type { BenchBackend } from "../lib/backends";
import { benchToken, populateSessions } from "../lib/population";
import { repeatLatency, repeatPaired, type Figure } from "../lib/stats";

export interface CheckResult {
  backend: string;
  size: number;
  floor: { p50: Figure; p99: Figure };
  read: { p50: Figure; p99: Figure };
  touch?: { p50: Figure; p99: Figure };
}

export interface CheckOptions {
  sizes: number[];
  reps: number;
  samples: number;
  log: (line: string) => void;
}

function setTouchInterval(seconds: number) {
  process.env.APP_SESSION_TOUCH_SECONDS = String(seconds);
  resetEnv();
}

async function cookiesFor(indices: number[]): Promise<Request[]> {
  return Promise.all(
    indices.map(async (i) => {
      const cookie = (await createSessionCookie(benchToken(i))).split(";")[0];
      return new Request("https://app.bench.example/app", { headers: { Cookie: cookie, Accept: "application/json" } });
    }),
  );
}

/** Grow the backend's table through `sizes` and measure at each size. `grow` false: someone else owns the rows. */
export async function measureSessionChecks(
  backends: Array<{ backend: BenchBackend; grow: boolean }>,
  options: CheckOptions,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const populated = new Map<BenchBackend["sql"], number>();
  const clients = new Map<BenchBackend["sql"], string>();

  for (const size of options.sizes) {
    for (const { backend, grow } of backends) {
      let clientId = clients.get(backend.sql);
      if (!clientId) {
        clientId = (await backend.store.upsertClient({ platform: "commerce7", externalId: "bench-tenant" }, now())).id;
        clients.set(backend.sql, clientId);
      }
      const have = populated.get(backend.sql) ?? 0;
      if (grow && have < size) {
        const started = Date.now();
        await populateSessions(backend.sql, clientId, have, size);
        populated.set(backend.sql, size);
        options.log(`  ${backend.name}: ${size.toLocaleString("en")} live sessions (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }

      setStore(backend.store);
      // A working set spread over the whole table, so the index is walked end to end.
      const picks = Array.from({ length: 500 }, (_, k) => Math.floor(((k + 0.5) / 500) * size));
      const requests = await cookiesFor(picks);
      const check = (i: number) => requireAppSession(requests[i % requests.length]);
      const ping = () => backend.store.ping();

      setTouchInterval(3600);
      const paired = await repeatPaired(options.reps, options.samples, ping, check);
      const floor = paired.a;
      const read = paired.b;
      let touch: CheckResult["touch"];
      if (size === options.sizes[0]) {
        setTouchInterval(0); // every call writes: the cost the throttle avoids
        touch = await repeatLatency(options.reps, Math.min(options.samples, 500), check, 50);
      }
      setTouchInterval(60);
      results.push({ backend: backend.name, size, floor, read, touch });
      options.log(
        `  ${backend.name} @ ${size.toLocaleString("en")}: floor p50 ${floor.p50.median.toFixed(1)} µs, check p50 ${read.p50.median.toFixed(1)} µs, p99 ${read.p99.median.toFixed(1)} µs`,
      );
    }
  }
  setStore(undefined);
  return results;
}
