/**
 * The floor and the session check, per backend and table size.
 *
 * Floor: the bare driver's round trip (bench/lib/backends.ts), outside our
 * code. Beside it, our wrapper's ping() (the same round trip through
 * app/lib/db: timeout, error mapping), labelled as what it is.
 * Check: requireAppSession on a real Request carrying a signed cookie, as a
 * loader calls it (cookie parse + signature + the app_session_check read).
 * All three are taken in turn in one loop, so load weighs on them alike.
 * Reads: the session was active within the touch interval (most requests).
 * Touching: the interval has passed, so the call also records activity (a
 * second, committed UPDATE; happens at most once a minute per session).
 *
 * The peer: better-auth's getSession on the same PostgreSQL, at the same
 * table sizes, in the same loop (bench/lib/better-auth.ts).
 * The largest size (10M on PostgreSQL) is populated by the database itself,
 * and skipped with the reason when the disk or the time budget cannot take it.
 */
import fs from "node:fs";
import { now } from "~/lib/clock.server";
import { setStore } from "~/lib/db/index.server";
import { resetEnv } from "~/lib/env.server";
import { createSessionCookie, requireAppSession } from "~/lib/sessions/core.server";
import type { BenchBackend } from "../lib/backends";
import type { BetterAuthPeer } from "../lib/better-auth";
import { benchToken, populateSessions } from "../lib/population";
import { cpuMicrosPerCall, repeatInterleaved, repeatLatency, type Figure } from "../lib/stats";

type Latency = { p50: Figure; p99: Figure };

export interface CheckResult {
  backend: string;
  size: number;
  floor: Latency;
  /** Our wrapper's ping() (app/lib/db), for comparison with the bare floor. */
  wrapperPing: Latency;
  read: Latency;
  touch?: Latency;
  /** Node CPU per check (process.cpuUsage); on PGlite this includes the database's own work. */
  cpuMicros: number;
  /** The same for one bare floor call, for comparison. */
  floorCpuMicros: number;
  /** better-auth getSession at this size, same loop (PostgreSQL only). */
  peer?: Latency;
}

export interface HugeResult {
  size: number;
  result: CheckResult | null;
  /** Why it was skipped, or how long population took. */
  note: string;
}

export interface CheckOptions {
  sizes: number[];
  reps: number;
  samples: number;
  log: (line: string) => void;
  /** better-auth, and the sizes at which to compare with it (PostgreSQL). */
  peer?: { auth: BetterAuthPeer; sizes: number[] };
  /** The big table on PostgreSQL: size, the population time allowed, and where PostgreSQL keeps its data. */
  huge?: { size: number; budgetSeconds: number; dataDir: string };
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

async function measureAt(
  backend: BenchBackend,
  size: number,
  options: CheckOptions,
  withTouch: boolean,
  peer: BetterAuthPeer | null,
): Promise<CheckResult> {
  setStore(backend.store);
  // A working set spread over the whole table, so the index is walked end to end.
  const picks = Array.from({ length: 500 }, (_, k) => Math.floor(((k + 0.5) / 500) * size));
  const requests = await cookiesFor(picks);
  const check = (i: number) => requireAppSession(requests[i % requests.length]);
  const ping = () => backend.store.ping();
  const fns: Array<(i: number) => Promise<unknown>> = [backend.floor, ping, check];
  if (peer) {
    const headers = picks.map((i) => peer.headersFor(i));
    fns.push((i) => peer.getSession(headers[i % headers.length]));
  }

  // Over HTTP to PostgREST each call takes ~10x longer: half the samples keep the run's length sane.
  const samples = backend.name === "Supabase adapter" ? Math.ceil(options.samples / 2) : options.samples;
  setTouchInterval(3600);
  const [floor, wrapperPing, read, peerLatency] = await repeatInterleaved(options.reps, samples, fns);
  const floorCpuMicros = await cpuMicrosPerCall(Math.min(options.samples, 1000), backend.floor);
  const cpuMicros = await cpuMicrosPerCall(Math.min(options.samples, 1000), check);
  let touch: CheckResult["touch"];
  if (withTouch) {
    setTouchInterval(0); // every call writes: the cost the throttle avoids
    touch = await repeatLatency(options.reps, Math.min(options.samples, 500), check, 50);
  }
  setTouchInterval(60);
  const result: CheckResult = { backend: backend.name, size, floor, wrapperPing, read, touch, cpuMicros, floorCpuMicros, peer: peerLatency };
  options.log(
    `  ${backend.name} @ ${size.toLocaleString("en")}: floor p50 ${floor.p50.median.toFixed(1)} µs, ping ${wrapperPing.p50.median.toFixed(1)} µs, ` +
      `check p50 ${read.p50.median.toFixed(1)} µs, p99 ${read.p99.median.toFixed(1)} µs, CPU ${cpuMicros.toFixed(1)} µs` +
      (peerLatency ? `; better-auth p50 ${peerLatency.p50.median.toFixed(1)} µs` : ""),
  );
  return result;
}

async function populate(backend: BenchBackend, clientId: string, from: number, to: number, log: (line: string) => void) {
  const started = Date.now();
  await populateSessions(backend.sql, clientId, from, to);
  const seconds = (Date.now() - started) / 1000;
  log(`  ${backend.name}: ${to.toLocaleString("en")} live sessions (+${seconds.toFixed(1)} s)`);
  return seconds;
}

/** Grow the backend's table through `sizes` and measure at each size. `grow` false: someone else owns the rows. */
export async function measureSessionChecks(
  backends: Array<{ backend: BenchBackend; grow: boolean }>,
  options: CheckOptions,
): Promise<{ checks: CheckResult[]; huge: HugeResult | null }> {
  const results: CheckResult[] = [];
  const populated = new Map<BenchBackend["sql"], number>();
  const clients = new Map<BenchBackend["sql"], string>();
  const rates = new Map<BenchBackend["sql"], number>();

  async function clientOf(backend: BenchBackend) {
    let clientId = clients.get(backend.sql);
    if (!clientId) {
      clientId = (await backend.store.upsertClient({ platform: "commerce7", externalId: "bench-tenant" }, now())).id;
      clients.set(backend.sql, clientId);
    }
    return clientId;
  }

  for (const size of options.sizes) {
    for (const { backend, grow } of backends) {
      const clientId = await clientOf(backend);
      const have = populated.get(backend.sql) ?? 0;
      if (grow && have < size) {
        const seconds = await populate(backend, clientId, have, size, options.log);
        populated.set(backend.sql, size);
        rates.set(backend.sql, (size - have) / Math.max(seconds, 0.001));
      }
      let peer: BetterAuthPeer | null = null;
      if (backend.name === "PostgreSQL" && options.peer?.sizes.includes(size)) {
        peer = options.peer.auth;
        await peer.populate(size);
      }
      results.push(await measureAt(backend, size, options, size === options.sizes[0], peer));
    }
  }

  let huge: HugeResult | null = null;
  const postgresEntry = backends.find((b) => b.backend.name === "PostgreSQL");
  if (options.huge && postgresEntry) {
    const backend = postgresEntry.backend;
    const { size, budgetSeconds, dataDir } = options.huge;
    const have = populated.get(backend.sql) ?? 0;
    const [{ bytes }] = await backend.sql.query<{ bytes: string }>("select pg_total_relation_size('app_sessions')::text as bytes");
    const perRow = Number(bytes) / Math.max(have, 1);
    // Rows, indexes and about as much again in WAL while they are written; keep 10 GiB for everyone else.
    const needBytes = (size - have) * perRow * 2 + 10 * 2 ** 30;
    let freeBytes = Number.POSITIVE_INFINITY;
    try {
      const stat = fs.statfsSync(fs.existsSync(dataDir) ? dataDir : "/");
      freeBytes = stat.bavail * stat.bsize;
    } catch {
      // unknown: let the time budget decide
    }
    const projected = (size - have) / (rates.get(backend.sql) ?? 50_000);
    const gib = (v: number) => `${(v / 2 ** 30).toFixed(1)} GiB`;
    if (needBytes > freeBytes) {
      huge = { size, result: null, note: `skipped: needs ~${gib(needBytes)} free for PostgreSQL's data, ${gib(freeBytes)} available` };
    } else if (projected > budgetSeconds) {
      huge = {
        size,
        result: null,
        note: `skipped: populating would take ~${projected.toFixed(0)} s at this run's rate, over the ${budgetSeconds} s budget (BENCH_HUGE_SECONDS)`,
      };
    } else {
      const seconds = await populate(backend, await clientOf(backend), have, size, options.log);
      populated.set(backend.sql, size);
      const result = await measureAt(backend, size, options, false, null);
      huge = { size, result, note: `populated by the database in ${seconds.toFixed(0)} s (INSERT ... SELECT from generate_series)` };
    }
    options.log(`  PostgreSQL @ ${size.toLocaleString("en")}: ${huge.note}`);
  }
  setStore(undefined);
  return { checks: results, huge };
}
