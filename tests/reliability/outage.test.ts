/**
 * Database outage under load: the database is cut away (connections reset,
 * then a silent partition) while clients keep coming. Every request gets an
 * answer within 1 s — 503 (page or JSON) while the database is gone — the
 * process stays up, and when the database returns, service resumes by itself
 * with every session intact. Twice: on PostgreSQL (the proxy sits between
 * the app and the database) and on Supabase (between supabase-js and the
 * Data API: its HTTP connections are reset, or hang).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import type { SqlDatabase } from "~/lib/db/types";
import { startApp, type RunningApp } from "../support/app-server";
import { createScratchDatabase, postgresAvailable, STANDIN_KEYS } from "../support/databases";
import { startPostgrestStandin } from "../support/postgrest-standin";
import { signInDirect } from "../support/shared-postgres-app";
import { startTcpProxy, type ProxyMode, type TcpProxy } from "../support/tcp-proxy";

const SESSIONS = 40;
/**
 * Concurrent clients per backend. The Supabase stand-in serves its HTTP in
 * this test's own process, beside the clients, so it gets fewer of them: the
 * test is about the outage, not about saturating a stand-in.
 */
const CLIENTS_BY_BACKEND: Record<string, number> = { PostgreSQL: 20, Supabase: 10 };

interface Wiring {
  /** The TCP endpoint the app's database traffic goes to (the proxy forwards there). */
  upstream: { host: string; port: number };
  /** The app's settings, given the proxy's port. */
  env(proxyPort: number): Record<string, string>;
  close(): Promise<void>;
}

const BACKENDS: Record<string, (scratchUrl: string) => Promise<Wiring>> = {
  PostgreSQL: async (scratchUrl) => {
    const target = new URL(scratchUrl);
    return {
      upstream: { host: target.hostname, port: Number(target.port || 5432) },
      env(proxyPort) {
        const viaProxy = new URL(scratchUrl);
        viaProxy.port = String(proxyPort);
        return { DATABASE_URL: viaProxy.toString() };
      },
      close: async () => {},
    };
  },
  Supabase: async (scratchUrl) => {
    const standin = await startPostgrestStandin({ databaseUrl: scratchUrl, keys: { [STANDIN_KEYS.serviceRole]: "service_role" } });
    const target = new URL(standin.url);
    return {
      upstream: { host: target.hostname, port: Number(target.port) },
      env: (proxyPort) => ({ SUPABASE_URL: `http://127.0.0.1:${proxyPort}`, SUPABASE_SERVICE_ROLE_KEY: STANDIN_KEYS.serviceRole }),
      close: () => standin.close(),
    };
  },
};

describe.runIf(postgresAvailable()).each(Object.keys(BACKENDS))("database outage on %s", (backend) => {
  let drop: () => Promise<void>;
  let wiring: Wiring;
  const CLIENTS = CLIENTS_BY_BACKEND[backend];
  let direct: SqlDatabase;
  let store: Store;
  let proxy: TcpProxy;
  let app: RunningApp;
  const sessions: Array<{ cookie: string; id: string }> = [];

  beforeAll(async () => {
    const scratch = await createScratchDatabase(undefined, { supabase: backend === "Supabase" });
    drop = scratch.drop;
    direct = await openPostgres(scratch.url);
    await migrate(direct);
    store = new Store(direct);
    wiring = await BACKENDS[backend](scratch.url);
    proxy = await startTcpProxy(wiring.upstream);
    app = await startApp({ ...wiring.env(proxy.port), DATABASE_TIMEOUT_MS: "600" });
    const first = await signInDirect(store);
    sessions.push({ cookie: first.cookie, id: first.session.id });
    for (let i = 1; i < SESSIONS; i++) {
      const s = await signInDirect(store, { externalId: first.client.externalId, userId: `user-${i}` });
      sessions.push({ cookie: s.cookie, id: s.session.id });
    }
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
    await wiring?.close();
    await direct?.close();
    await drop?.();
  });

  interface Sample {
    status: number;
    ms: number;
    body: string;
  }

  /** One request as a merchant's browser or the app's own fetches send it; at most 1 s. */
  async function hit(i: number): Promise<Sample> {
    const session = sessions[i % sessions.length];
    const data = i % 2 === 0;
    const started = performance.now();
    const res = await fetch(`${app.url}/app${data ? "?_data=routes%2Fapp._index" : ""}`, {
      headers: { Cookie: session.cookie, Accept: data ? "application/json" : "text/html" },
      redirect: "manual",
      signal: AbortSignal.timeout(1000), // an answer after 1 s counts as a hang
    });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body };
  }

  /** CLIENTS concurrent clients, each sending requests back to back for `ms`. */
  async function load(ms: number): Promise<Sample[]> {
    const samples: Sample[] = [];
    const until = Date.now() + ms;
    let n = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < until) samples.push(await hit(n++));
      }),
    );
    return samples;
  }

  it("the app runs on the backend under test", async () => {
    const health = await (await fetch(`${app.url}/healthz`)).json();
    expect(health).toMatchObject({ status: "ok", database: backend === "PostgreSQL" ? "postgres" : "supabase" });
  });

  async function outage(mode: ProxyMode) {
    for (let i = 0; i < 2 * CLIENTS; i++) await hit(i); // warm: connections open, code loaded
    const before = await load(500);
    expect(before.filter((s) => s.status !== 200).map((s) => `${s.status} ${s.body.slice(0, 120)}`)).toEqual([]);

    proxy.setMode(mode);
    let during: Sample[];
    try {
      during = await load(2500);
    } finally {
      proxy.setMode("forward"); // a failed assertion must not leave the next test without its database
    }
    expect(during.length).toBeGreaterThan(CLIENTS);
    // Everything answered (no aborted request: fetch would have thrown), with 200 or 503, never a 5xx crash.
    const statuses = new Set(during.map((s) => s.status));
    for (const status of statuses) expect([200, 503]).toContain(status);
    expect(during.filter((s) => s.status === 503).length).toBeGreaterThan(during.length / 2);
    const unavailable = during.find((s) => s.status === 503 && s.body.startsWith("{"));
    expect(JSON.parse(unavailable?.body ?? "{}")).toMatchObject({ error: "unavailable" });
    expect(during.some((s) => s.status === 503 && s.body.includes("temporarily unavailable"))).toBe(true);
    expect(app.process.exitCode).toBeNull();

    // The database is back (since the load above ended). Connections opened into the partition die at their connect timeout; then every request succeeds.
    await expect
      .poll(async () => (await load(300)).every((s) => s.status === 200), { timeout: 15_000, interval: 100 })
      .toBe(true);
    const after = await load(1000);
    expect(after.filter((s) => s.status !== 200)).toEqual([]);
  }

  it("connections reset: 503 within 1 s, then service resumes by itself", async () => {
    await outage("refuse");
  });

  it("a silent partition: 503 within 1 s (the call timeout), then service resumes by itself", async () => {
    await outage("blackhole");
  });

  it("no session was lost", async () => {
    const [row] = await direct.query<{ n: string }>("select count(*)::text as n from app_sessions where revoked_at is null");
    expect(Number(row.n)).toBe(SESSIONS);
    for (const session of sessions) expect((await hit(sessions.indexOf(session) * 2)).status).toBe(200);
  });
});
