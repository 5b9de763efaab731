/**
 * The session's cost over HTTP (autocannon, loopback): the dashboard as a
 * Remix data request and as a full document, four ways on the same app:
 *   - /app               the real route: requireAppSession (cookie + one lookup)
 *   - /bench/better-auth the peer: better-auth's getSession (database session, cookie cache off)
 *   - /bench/cookie      the stateless bound: Remix createCookieSessionStorage
 *   - /bench/roundtrip   no session check, one bare `select 1`: what any database round trip costs a route
 *   - /bench/plain       the same route with no session check at all
 * Each run is reported two ways: throughput, and CPU per request (the app's
 * process plus the PostgreSQL backends serving it, from /proc), which does
 * not hinge on how two cores are shared with the load generator.
 *
 * Then memory: 100k distinct sessions each make one request to one app
 * instance; its RSS before and after says whether anything per session stays.
 */
import autocannon from "autocannon";
import { now } from "~/lib/clock.server";
import { createSessionCookie, generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { cookieSessions } from "~/bench/cookie-session.server";
import { startApp } from "../../tests/support/app-server";
import type { BenchBackend } from "../lib/backends";
import { betterAuthCookie, betterAuthToken } from "../lib/better-auth";
import { cpuBetween, cpuSnapshot, processRssBytes } from "../lib/cpu";
import { benchToken, populateSessions } from "../lib/population";
import { figure, type Figure } from "../lib/stats";

export type HttpVariant = "session" | "better-auth" | "cookie-session" | "round-trip" | "no-check";

export interface HttpRow {
  variant: HttpVariant;
  kind: "data" | "document";
  rps: Figure;
  p50ms: Figure;
  p99ms: Figure;
  /** CPU per request, µs: the app's process and the PostgreSQL backends serving it. */
  cpuApp: Figure;
  cpuDatabase: Figure;
  cpuTotal: Figure;
}

export interface MemoryResult {
  sessions: number;
  rssBefore: number;
  /** After the first half of the sessions. */
  rssMiddle: number;
  rssAfter: number;
}

export interface HttpOptions {
  reps: number;
  seconds: number;
  connections: number;
  /** Distinct sessions for the memory measurement. */
  memorySessions: number;
  /** Scratch database of better-auth's tables (its route's backends count too). */
  betterAuth: { url: string; database: string };
  database: string;
  log: (line: string) => void;
}

function run(options: autocannon.Options) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** Well above every other session index the benchmark uses. */
const MEMORY_TOKEN_BASE = 50_000_000;

export async function measureHttp(
  backend: BenchBackend,
  databaseUrl: string,
  options: HttpOptions,
): Promise<{ rows: HttpRow[]; memory: MemoryResult | null }> {
  const store = backend.store;
  const client = await store.upsertClient({ platform: "commerce7", externalId: "http-bench", organizationName: "Bench Winery" }, now());
  const token = generateSessionToken();
  await store.createAppSession(
    { tokenHash: hashSessionToken(token), clientId: client.id, userName: "Bench User", ...sessionLifetimes(false) },
    now(),
  );
  const appCookie = (await createSessionCookie(token)).split(";")[0];
  const cookieSession = await cookieSessions.getSession();
  cookieSession.set("clientId", client.id);
  cookieSession.set("platform", "commerce7");
  cookieSession.set("theme", "light");
  cookieSession.set("client", "Bench Winery");
  cookieSession.set("user", "Bench User");
  const statelessCookie = (await cookieSessions.commitSession(cookieSession)).split(";")[0];

  const app = await startApp({
    REMIX_BUILD_DIR: "build-bench",
    DATABASE_URL: databaseUrl,
    BENCH_BETTER_AUTH_URL: options.betterAuth.url,
    LOG_LEVEL: "warn",
    APP_SESSION_TOUCH_SECONDS: "60",
    RATE_LIMIT_ENTRY_IP: "off",
  });
  const pid = app.process.pid as number;
  const databases = [options.database, options.betterAuth.database];
  const targets = [
    { variant: "session" as const, path: "/app", dataRoute: "routes/app._index", cookie: appCookie },
    { variant: "better-auth" as const, path: "/bench/better-auth", dataRoute: "bench/better-auth-index", cookie: betterAuthCookie(betterAuthToken(0)) },
    { variant: "cookie-session" as const, path: "/bench/cookie", dataRoute: "bench/cookie-index", cookie: statelessCookie },
    { variant: "round-trip" as const, path: "/bench/roundtrip", dataRoute: "bench/roundtrip-index", cookie: "" },
    { variant: "no-check" as const, path: "/bench/plain", dataRoute: "bench/plain-index", cookie: "" },
  ];
  const rows: HttpRow[] = [];
  let memory: MemoryResult | null = null;
  try {
    const urlOf = (t: (typeof targets)[number], kind: "data" | "document") =>
      kind === "data" ? `${app.url}${t.path}?_data=${encodeURIComponent(t.dataRoute)}` : `${app.url}${t.path}`;
    const headersOf = (t: (typeof targets)[number], kind: "data" | "document") => {
      const headers: Record<string, string> = { Accept: kind === "data" ? "*/*" : "text/html" };
      if (t.cookie) headers.Cookie = t.cookie;
      return headers;
    };
    // Warm up every route once (JIT, the app's and better-auth's connection
    // pools), so no backend's start-up CPU is counted against a route.
    for (const kind of ["data", "document"] as const) {
      for (const t of targets) {
        await run({ url: urlOf(t, kind), headers: headersOf(t, kind), duration: 1, connections: options.connections, pipelining: 1 });
      }
    }
    for (const kind of ["data", "document"] as const) {
      const samples = new Map<string, Record<"rps" | "p50" | "p99" | "app" | "db" | "total", number[]>>();
      // Interleave the variants in each repetition, so drift hits all alike.
      for (let r = 0; r < options.reps; r++) {
        for (const t of targets) {
          const before = await cpuSnapshot(pid, backend.sql, databases);
          const result = await run({
            url: urlOf(t, kind),
            headers: headersOf(t, kind),
            duration: options.seconds,
            connections: options.connections,
            pipelining: 1,
          });
          const cpu = cpuBetween(before, await cpuSnapshot(pid, backend.sql, databases));
          if (result.non2xx > 0 || result.errors > 0) {
            throw new Error(`${t.variant} ${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          }
          const s = samples.get(t.variant) ?? { rps: [], p50: [], p99: [], app: [], db: [], total: [] };
          const n = Math.max(1, result.requests.total);
          s.rps.push(result.requests.average);
          s.p50.push(result.latency.p50);
          s.p99.push(result.latency.p99);
          s.app.push(cpu.app / n);
          s.db.push(cpu.database / n);
          s.total.push((cpu.app + cpu.database) / n);
          samples.set(t.variant, s);
        }
      }
      for (const t of targets) {
        const s = samples.get(t.variant);
        if (!s) continue;
        const row: HttpRow = {
          variant: t.variant,
          kind,
          rps: figure(s.rps),
          p50ms: figure(s.p50),
          p99ms: figure(s.p99),
          cpuApp: figure(s.app),
          cpuDatabase: figure(s.db),
          cpuTotal: figure(s.total),
        };
        rows.push(row);
        options.log(
          `  ${kind} ${t.variant}: ${row.rps.median.toFixed(0)} req/s, p50 ${row.p50ms.median} ms, CPU ${row.cpuTotal.median.toFixed(0)} µs/request`,
        );
      }
    }
    memory = await measureMemory(backend, client.id, app.url, pid, options);
  } finally {
    await app.stop();
  }
  return { rows, memory };
}

async function measureMemory(
  backend: BenchBackend,
  clientId: string,
  appUrl: string,
  pid: number,
  options: HttpOptions,
): Promise<MemoryResult> {
  const count = options.memorySessions;
  await populateSessions(backend.sql, clientId, MEMORY_TOKEN_BASE, MEMORY_TOKEN_BASE + count, { activeFor: 15 });
  const cookies = Array.from({ length: count }, (_, k) => createSessionCookie(benchToken(MEMORY_TOKEN_BASE + k)).split(";")[0]);
  const rssBefore = processRssBytes(pid) ?? Number.NaN;
  let next = 0;
  // Two halves: RSS after the first half and after the second. Anything kept
  // per session grows both alike; warming up (heap sizing) grows the first.
  const half = async (amount: number) => {
    const result = await run({
      url: `${appUrl}/app?_data=${encodeURIComponent("routes/app._index")}`,
      connections: options.connections,
      pipelining: 1,
      amount,
      requests: [
        {
          method: "GET",
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, accept: "*/*", cookie: cookies[next++ % count] },
          }),
        },
      ],
    });
    if (result.non2xx > 0 || result.errors > 0 || result.requests.total < amount) {
      throw new Error(`memory: ${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
  };
  await half(Math.floor(count / 2));
  const rssMiddle = processRssBytes(pid) ?? Number.NaN;
  await half(count - Math.floor(count / 2));
  const rssAfter = processRssBytes(pid) ?? Number.NaN;
  options.log(
    `  memory: ${count.toLocaleString("en")} distinct sessions, RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB -> ${(rssAfter / 2 ** 20).toFixed(0)} MiB`,
  );
  return { sessions: count, rssBefore, rssMiddle, rssAfter };
}
