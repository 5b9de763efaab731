/**
 * The session's cost over HTTP (autocannon, loopback): the dashboard as a
 * Remix data request and as a full document, three ways on the same app:
 *   - /app             the real route: requireAppSession (cookie + one lookup)
 *   - /bench/cookie    the stateless bound: Remix createCookieSessionStorage
 *   - /bench/plain     the same route with no session check at all
 */
import autocannon from "autocannon";
import { now } from "~/lib/clock.server";
import type { Store } from "~/lib/db/store.server";
import { createSessionCookie, generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions.server";
import { cookieSessions } from "~/bench/cookie-session.server";
import { startApp } from "../../tests/support/app-server";
import { figure, type Figure } from "../lib/stats";

export interface HttpRow {
  variant: "session" | "cookie-session" | "no-check";
  kind: "data" | "document";
  rps: Figure;
  p50ms: Figure;
  p99ms: Figure;
}

export interface HttpOptions {
  reps: number;
  seconds: number;
  connections: number;
  log: (line: string) => void;
}

function run(url: string, headers: Record<string, string>, seconds: number, connections: number) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url, headers, duration: seconds, connections, pipelining: 1 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

export async function measureHttp(store: Store, databaseUrl: string, options: HttpOptions): Promise<HttpRow[]> {
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
    LOG_LEVEL: "warn",
    APP_SESSION_TOUCH_SECONDS: "60",
    RATE_LIMIT_ENTRY_IP: "off",
  });
  const targets = [
    { variant: "session" as const, path: "/app", dataRoute: "routes/app._index", cookie: appCookie },
    { variant: "cookie-session" as const, path: "/bench/cookie", dataRoute: "bench/cookie-index", cookie: statelessCookie },
    { variant: "no-check" as const, path: "/bench/plain", dataRoute: "bench/plain-index", cookie: "" },
  ];
  const rows: HttpRow[] = [];
  try {
    for (const kind of ["data", "document"] as const) {
      const samples = new Map<string, { rps: number[]; p50: number[]; p99: number[] }>();
      // Interleave the variants in each repetition, so drift hits all alike.
      for (let r = 0; r < options.reps; r++) {
        for (const t of targets) {
          const url = kind === "data" ? `${app.url}${t.path}?_data=${encodeURIComponent(t.dataRoute)}` : `${app.url}${t.path}`;
          const headers: Record<string, string> = { Accept: kind === "data" ? "*/*" : "text/html" };
          if (t.cookie) headers.Cookie = t.cookie;
          const result = await run(url, headers, options.seconds, options.connections);
          if (result.non2xx > 0 || result.errors > 0) {
            throw new Error(`${t.variant} ${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          }
          const s = samples.get(t.variant) ?? { rps: [], p50: [], p99: [] };
          s.rps.push(result.requests.average);
          s.p50.push(result.latency.p50);
          s.p99.push(result.latency.p99);
          samples.set(t.variant, s);
        }
      }
      for (const t of targets) {
        const s = samples.get(t.variant);
        if (!s) continue;
        rows.push({ variant: t.variant, kind, rps: figure(s.rps), p50ms: figure(s.p50), p99ms: figure(s.p99) });
        options.log(`  ${kind} ${t.variant}: ${figure(s.rps).median.toFixed(0)} req/s, p50 ${figure(s.p50).median} ms`);
      }
    }
  } finally {
    await app.stop();
  }
  return rows;
}
