/**
 * Operations over real HTTP against the built app and a PostgreSQL scratch
 * database: a full session flow whose logs and audit rows are scanned for
 * every secret it used, the cleanup and metrics endpoints, rate limits
 * shared by two app instances, and the in-process cleanup schedule run by
 * one instance of two.
 */
import { createCookie } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { now } from "~/lib/clock.server";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store, type Client } from "~/lib/db/store.server";
import { createSessionCookie, generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { startApp, startAppExpectingFailure, TEST_APP_ENV, type RunningApp } from "../support/app-server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { sample } from "../support/metrics";
import { SecretRegistry, expectNoSecrets } from "../support/secret-scan";

const CRON_SECRET = "cron-secret-for-tests-7f3a9c2e1b";
const METRICS_TOKEN = "metrics-token-for-tests-4d8e6b0a5c";
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) OperationsTest/1.0";

interface Scratch {
  url: string;
  store: Store;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function scratchDatabase(): Promise<Scratch> {
  const scratch = await createScratchDatabase();
  const db = await openPostgres(scratch.url);
  await migrate(db);
  return {
    url: scratch.url,
    store: new Store(db),
    query: (sql, params) => db.query(sql, params),
    async close() {
      await db.close();
      await scratch.drop();
    },
  };
}

/** A session made through the Store, as an entry would make it; its token and cookie. */
async function sessionFor(store: Store, client: Client, options: { createdAt?: Date; userAgent?: string } = {}) {
  const token = generateSessionToken();
  const session = await store.createAppSession(
    {
      tokenHash: hashSessionToken(token),
      clientId: client.id,
      userId: "user-42",
      userName: "Ada",
      userAgent: options.userAgent ?? BROWSER,
      // The address fetch uses (127.0.0.1 or ::1) is not known here; the hijack policy compares what is known.
      ipAddress: null,
      ...sessionLifetimes(false),
    },
    options.createdAt ?? now(),
  );
  const setCookie = await createSessionCookie(token);
  return { session, token, setCookie, cookie: setCookie.split(";")[0] };
}

/** A daily window would only roll over at midnight UTC: keep a test that counts in one window away from it. */
async function awayFromMidnightUtc() {
  const msToMidnight = 86_400_000 - (Date.now() % 86_400_000);
  if (msToMidnight < 30_000) await new Promise((resolve) => setTimeout(resolve, msToMidnight + 1000));
}

const withPostgres = postgresAvailable();

describe.runIf(withPostgres)("a full flow over HTTP: audit rows and logs, and no secret in them", () => {
  let db: Scratch;
  let app: RunningApp;
  let client: Client;
  const secrets = new SecretRegistry()
    .add("CRON_SECRET", CRON_SECRET)
    .add("METRICS_TOKEN", METRICS_TOKEN)
    .add("SESSION_SECRET", TEST_APP_ENV.SESSION_SECRET)
    .add("TOKEN_ENCRYPTION_KEY", TEST_APP_ENV.TOKEN_ENCRYPTION_KEY);

  function track<T extends { token: string; setCookie: string }>(made: T): T {
    secrets.add("session token", made.token).add("session token hash", hashSessionToken(made.token)).addCookie("session cookie", made.setCookie);
    return made;
  }

  beforeAll(async () => {
    db = await scratchDatabase();
    client = await db.store.upsertClient({ platform: "commerce7", externalId: "flow-winery", organizationName: "Flow Winery" }, now());
    app = await startApp({ DATABASE_URL: db.url, CRON_SECRET, METRICS_TOKEN, LOG_LEVEL: "debug", SESSION_BINDING: "log" });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, { redirect: "manual", headers: { "User-Agent": BROWSER, ...headers } });

  it("runs the flow and records each step", async () => {
    // 1. A valid cookie and the same token as Bearer: served, nothing recorded.
    const main = track(await sessionFor(db.store, client));
    expect((await get("/app", { Cookie: main.cookie })).status).toBe(200);
    expect((await get("/app?_data=routes%2Fapp._index", { Authorization: `Bearer ${main.token}` })).status).toBe(200);

    // 2. The same cookie from another user agent: served (log mode) but suspicious.
    expect((await get("/app", { Cookie: main.cookie, "User-Agent": "curl/8.5.0" })).status).toBe(200);

    // 3. Cookies we did not issue: garbage, another app's signature, an unsigned token.
    const foreign = generateSessionToken();
    const forged = (await createCookie("__Host-app_session", { secrets: ["someone-elses-secret-0123456789abcdef"] }).serialize(foreign)).split(";")[0];
    secrets.add("foreign token", foreign).addCookie("forged cookie", forged);
    for (const cookie of ["__Host-app_session=%%%garbage%%%", forged, `__Host-app_session=${foreign}`]) {
      const res = await get("/app", { Cookie: cookie, Accept: "text/html" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/?reason=unauthenticated");
    }

    // 4. Bearer values: a well-formed token nobody has, and a JWT-shaped value no platform takes.
    const unknown = generateSessionToken();
    const jwtLike = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmbG93In0.c2lnbmF0dXJlLWZsb3ctdGVzdA";
    secrets.add("unknown bearer token", unknown).add("JWT-shaped bearer", jwtLike);
    for (const bearer of [unknown, jwtLike]) {
      const res = await get("/app", { Authorization: `Bearer ${bearer}`, Accept: "application/json" });
      expect(res.status).toBe(401);
    }

    // 5. A session past its absolute limit: refused as expired, recorded once.
    const old = track(await sessionFor(db.store, client, { createdAt: new Date(Date.now() - 9 * 3600_000) }));
    for (let i = 0; i < 2; i++) {
      expect((await get("/app", { Cookie: old.cookie })).headers.get("location")).toBe("/?reason=expired&platform=commerce7&tenant=flow-winery");
    }

    // 6. Logout, as the app's own form sends it (same origin, CSRF token).
    const leaving = track(await sessionFor(db.store, client));
    secrets.add("CSRF token", leaving.session.csrfToken);
    const out = await fetch(`${app.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: leaving.cookie, "User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: leaving.session.csrfToken }),
    });
    expect(out.status).toBe(302);

    // 7. Cleanup endpoint: refused without the secret, then run; the expired session goes.
    expect((await fetch(`${app.url}/api/sessions/cleanup`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${app.url}/api/sessions/cleanup`, { method: "POST", headers: { Authorization: `Bearer ${CRON_SECRET}x` } })).status).toBe(401);
    const cleaned = await fetch(`${app.url}/api/sessions/cleanup`, { method: "POST", headers: { Authorization: `Bearer ${CRON_SECRET}` } });
    expect(cleaned.status).toBe(200);
    expect(cleaned.headers.get("cache-control")).toBe("no-store");
    const body = await cleaned.json();
    expect(body).toEqual({
      ok: true,
      status: "ran",
      batches: 1,
      removed: { appSessions: 1, sessionEvents: 0, oauthStates: 0, rateLimitCounters: expect.any(Number), webhookDeliveries: 0 },
    });

    // 8. Metrics: refused without a token; the counters tell the story.
    expect((await fetch(`${app.url}/api/metrics`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` } })).status).toBe(401);
    const scrape = await fetch(`${app.url}/api/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain/);
    const metrics = await scrape.text();
    expect(sample(metrics, 'app_sessions_active{platform="commerce7"}')).toBe(1);
    expect(sample(metrics, 'app_sessions_expired_total{reason="expired"}')).toBe(2);
    expect(sample(metrics, 'app_auth_failures_total{reason="bad_cookie"}')).toBe(3);
    expect(sample(metrics, 'app_auth_failures_total{reason="unknown_token"}')).toBe(1);
    expect(sample(metrics, 'app_auth_failures_total{reason="unrecognized_bearer"}')).toBe(1);
    expect(sample(metrics, 'app_auth_failures_total{reason="operator_token"}')).toBe(4);
    expect(sample(metrics, 'app_session_binding_changes_total{event="suspicious"}')).toBe(1);
    expect(sample(metrics, "app_sessions_logged_out_total")).toBe(1);
    expect(sample(metrics, 'app_session_cleanup_removed_total{kind="appSessions"}')).toBe(1);
    expect(sample(metrics, 'app_require_session_duration_seconds_count{outcome="cookie"}')).toBeGreaterThanOrEqual(2);
    expect(metrics).toContain('app_require_session_duration_seconds_bucket{le="0.005",outcome="cookie"}');
    // CRON_SECRET opens the metrics too.
    expect((await fetch(`${app.url}/api/metrics`, { headers: { Authorization: `Bearer ${CRON_SECRET}` } })).status).toBe(200);

    // The trail: each step once, with session id, client, IP and user agent where known.
    const rows = await db.query<{ event: string; session_id: string | null; client_id: string | null; ip_address: string | null; user_agent: string | null; detail: Record<string, unknown> }>(
      "select event, session_id, client_id, ip_address, user_agent, detail from session_events order by id",
    );
    const of = (event: string) => rows.filter((r) => r.event === event);
    expect(of("suspicious")).toEqual([expect.objectContaining({ session_id: main.session.id, client_id: client.id, user_agent: "curl/8.5.0", ip_address: expect.stringMatching(/\S/) })]);
    expect(of("expired")).toEqual([expect.objectContaining({ session_id: old.session.id, user_agent: BROWSER })]);
    expect(of("logged_out")).toEqual([expect.objectContaining({ session_id: leaving.session.id })]);
    // One row per reason per address per minute (the log has every one).
    expect(of("auth_failed").map((r) => r.detail.kind).sort()).toEqual(["bad_cookie", "operator_token", "unknown_token", "unrecognized_bearer"]);
    expect(of("created")).toHaveLength(3);

    const logLines = app.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    const logged = (event: string) => logLines.filter((l) => l.event === event);
    expect(logged("session.auth_failed")).toHaveLength(9);
    expect(logged("session.expired")).toHaveLength(2);
    expect(logged("session.suspicious")[0]).toMatchObject({ sessionId: main.session.id, clientId: client.id, userAgent: "curl/8.5.0", sessionUserAgent: BROWSER });
    expect(logged("session.logged_out")[0]).toMatchObject({ sessionId: leaving.session.id, clientId: client.id, userAgent: BROWSER, ip: expect.any(String) });

    // No secret anywhere.
    expectNoSecrets(secrets, {
      "server output": app.output(),
      session_events: JSON.stringify(rows),
      rate_limit_counters: JSON.stringify(await db.query("select * from rate_limit_counters")),
    });
  });

  it("the scan would catch a leak (it is not a test that cannot fail)", () => {
    const token = generateSessionToken();
    const planted = new SecretRegistry().add("session token", token);
    expect(planted.scan(`{"msg":"oops","token":"${token}"}`, "log")).toEqual(["session token in log"]);
    expect(planted.scan(`cookie=${Buffer.from(token).toString("base64url")}`, "log")).toEqual(["session token in log"]);
    expect(planted.scan("nothing to see", "log")).toEqual([]);
  });

  it("GET works too, for Vercel Cron (which only sends GET), with the same secret and nothing without it", async () => {
    const refused = await fetch(`${app.url}/api/sessions/cleanup`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: "unauthorized", message: expect.stringContaining("CRON_SECRET") });
    const res = await fetch(`${app.url}/api/sessions/cleanup`, { headers: { Authorization: `Bearer ${CRON_SECRET}`, "User-Agent": "vercel-cron/1.0" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, status: "ran" });
  });
});

describe.runIf(withPostgres)("two instances share rate limits through PostgreSQL", () => {
  let db: Scratch;
  let a: RunningApp;
  let b: RunningApp;
  let client: Client;

  beforeAll(async () => {
    db = await scratchDatabase();
    client = await db.store.upsertClient({ platform: "shopify", externalId: "limits.myshopify.com" }, now());
    const env = { DATABASE_URL: db.url, CRON_SECRET, RATE_LIMIT_LOGOUT_IP: "2/24h", RATE_LIMIT_CLEANUP_IP: "3/24h" };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
    await awayFromMidnightUtc();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.close();
  });

  it("logout: two on A and B, the third (on A) is 429 with Retry-After, and its session is left alone", async () => {
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await sessionFor(db.store, client));
    // API clients log out with their Bearer token (no CSRF form needed).
    const logout = (app: RunningApp, token: string) =>
      fetch(`${app.url}/logout`, { method: "POST", redirect: "manual", headers: { Authorization: `Bearer ${token}`, "User-Agent": BROWSER } });
    expect((await logout(a, sessions[0].token)).status).toBe(200);
    expect((await logout(b, sessions[1].token)).status).toBe(200);
    const refused = await logout(a, sessions[2].token);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(await refused.json()).toMatchObject({ error: "rate_limited", retryAfter });
    // Nothing done: the third session still opens the app.
    expect((await fetch(`${b.url}/app`, { headers: { Cookie: sessions[2].cookie, "User-Agent": BROWSER } })).status).toBe(200);
  });

  it("a form post without JavaScript over the limit gets the same 429 and Retry-After (logout is a resource route)", async () => {
    const res = await fetch(`${b.url}/logout`, { method: "POST", redirect: "manual", headers: { Accept: "text/html" } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ error: "rate_limited", message: expect.stringContaining("Too many requests") });
  });

  it("cleanup: three calls across A and B, the fourth is refused before it runs", async () => {
    const call = (app: RunningApp) =>
      fetch(`${app.url}/api/sessions/cleanup`, { method: "POST", headers: { Authorization: `Bearer ${CRON_SECRET}` } });
    expect([(await call(a)).status, (await call(b)).status, (await call(a)).status]).toEqual([200, 200, 200]);
    const refused = await call(b);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    const [counter] = await db.query<{ hits: number }>("select hits from rate_limit_counters where bucket = 'cleanup:ip'");
    expect(counter.hits).toBe(4);
  });
});

describe.runIf(withPostgres)("SESSION_CLEANUP_CRON on two instances", () => {
  let db: Scratch;
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    db = await scratchDatabase();
    // Every second, so the test sees several ticks on each instance.
    const env = { DATABASE_URL: db.url, SESSION_CLEANUP_CRON: "* * * * * *", LOG_LEVEL: "debug" };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.close();
  });

  function cleanupRuns(app: RunningApp) {
    return app
      .output()
      .split("\n")
      .filter((l) => l.includes('"event":"sessions.cleanup"'))
      .map((l) => (JSON.parse(l) as { status: string }).status);
  }

  it("each tick, one instance cleans and the other skips", async () => {
    await vi.waitFor(
      () => {
        expect(cleanupRuns(a).length).toBeGreaterThanOrEqual(3);
        expect(cleanupRuns(b).length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 20_000, interval: 250 },
    );
    const statuses = [new Set(cleanupRuns(a)), new Set(cleanupRuns(b))].map((s) => [...s].sort().join(","));
    expect(statuses.sort()).toEqual(["ran", "skipped"]);
    expect(a.output() + b.output()).toContain('"event":"sessions.cleanup_scheduled"');
  });
});

describe("cleanup schedule settings", () => {
  it("a bad SESSION_CLEANUP_CRON stops the server with a message naming it", async () => {
    const { code, output } = await startAppExpectingFailure({ ...TEST_APP_ENV, SESSION_CLEANUP_CRON: "every quarter hour" });
    expect(code).toBe(1);
    expect(output).toContain("SESSION_CLEANUP_CRON");
  });
});

describe("operations with the database down", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", CRON_SECRET, METRICS_TOKEN });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("the cleanup endpoint answers 503 JSON", async () => {
    const res = await fetch(`${app.url}/api/sessions/cleanup`, { method: "POST", headers: { Authorization: `Bearer ${CRON_SECRET}` } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "unavailable", message: expect.any(String) });
  });

  it("metrics still answer, saying the database is down", async () => {
    const res = await fetch(`${app.url}/api/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, "app_database_up")).toBe(0);
    expect(text).not.toMatch(/^app_sessions_active\{/m);
  });
});
