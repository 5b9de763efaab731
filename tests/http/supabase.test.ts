/**
 * The built app on the Supabase backend (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY):
 * supabase-js -> the PostgREST stand-in -> a real PostgreSQL database. A
 * session opens the app; logout ends it; Supabase without its database is a
 * 503 for users and /healthz, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { now } from "~/lib/clock.server";
import { createSessionCookie, generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { startApp, type RunningApp } from "../support/app-server";
import { postgresAvailable, STANDIN_KEYS, supabaseBackend, type TestDatabase } from "../support/databases";
import { startPostgrestStandin, type PostgrestStandin } from "../support/postgrest-standin";
import { expectUnavailableJson } from "../support/sessions";

describe.runIf(postgresAvailable())("sessions over HTTP on Supabase", () => {
  let app: RunningApp;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await supabaseBackend.open();
    app = await startApp({
      // The stand-in the test's store uses too: one database, seen through the API by both.
      SUPABASE_URL: db.supabaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: STANDIN_KEYS.serviceRole,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.close();
  });

  async function sessionCookie() {
    const client = await db.store.upsertClient({ platform: "commerce7", externalId: "supabase-tenant", organizationName: "Supabase Winery" }, now());
    const token = generateSessionToken();
    const session = await db.store.createAppSession(
      { tokenHash: hashSessionToken(token), clientId: client.id, userName: "Ada", ...sessionLifetimes(false) },
      now(),
    );
    return { session, cookie: (await createSessionCookie(token)).split(";")[0] };
  }

  it("/healthz reaches the database through the Data API", async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "supabase" });
  });

  it("a valid cookie opens the dashboard", async () => {
    const { cookie } = await sessionCookie();
    const res = await fetch(`${app.url}/app`, { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Supabase Winery");
    expect(html).toContain("Ada");
  });

  it("POST /logout destroys the row; the cookie then gets 401", async () => {
    const { cookie, session } = await sessionCookie();
    const res = await fetch(`${app.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: cookie, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: session.csrfToken }),
    });
    expect(res.status).toBe(302);
    expect(await db.sql.query("select id from app_sessions where id = $1", [session.id])).toEqual([]);
    const after = await fetch(`${app.url}/app`, { headers: { Cookie: cookie, Accept: "application/json" } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: "unauthenticated" });
  });
});

describe("Supabase without its database", () => {
  let app: RunningApp;
  let standin: PostgrestStandin;
  beforeAll(async () => {
    // PostgREST is up, Postgres behind it is not: 503 PGRST000 on every call.
    standin = await startPostgrestStandin({
      databaseUrl: "postgres://postgres@127.0.0.1:1/none",
      keys: { [STANDIN_KEYS.serviceRole]: "service_role" },
    });
    app = await startApp({ SUPABASE_URL: standin.url, SUPABASE_SERVICE_ROLE_KEY: STANDIN_KEYS.serviceRole });
  });
  afterAll(async () => {
    await app?.stop();
    await standin?.close();
  });

  it("/healthz answers 503 with the reason", async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", reason: "Supabase cannot reach its database" });
  });

  it("a request with a session cookie gets 503 JSON, not a 500 with a stack", async () => {
    const cookie = (await createSessionCookie(generateSessionToken())).split(";")[0];
    await expectUnavailableJson(await fetch(`${app.url}/app`, { headers: { Cookie: cookie, Accept: "application/json" } }));
  });
});
