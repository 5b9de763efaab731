/**
 * The Supabase adapter's failures, as users and operators meet them: the
 * database out of reach (network, timeout, PostgREST without Postgres, a
 * proxy error page, a refused key) is "unavailable" (503 to users) on every
 * backend; anything the database itself says comes back as a typed
 * DatabaseError with PostgREST's code, message, details and hint.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { now } from "~/lib/clock.server";
import { DatabaseError, DatabaseUnavailableError } from "~/lib/db/errors.server";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import { openSupabase } from "~/lib/db/supabase.server";
import { createScratchDatabase, postgresAvailable, STANDIN_KEYS } from "../support/databases";
import { startPostgrestStandin, type PostgrestStandin } from "../support/postgrest-standin";
import { makeClient } from "../support/sessions";

/** Nothing listens on port 1: connections are refused at once. */
const REFUSED_URL = "http://127.0.0.1:1";
const DEAD_DATABASE_URL = "postgres://postgres@127.0.0.1:1/none";
/** An opaque key (as Supabase's sb_secret_ keys are) that the gateway lets through untranslated. */
const GATEWAY_ONLY_KEY = "sb_secret_standin-untranslated";

/** A tiny HTTP server for the cases no database is needed for. */
async function serve(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

describe("what supabase-js reports for failures the adapter maps (pins @supabase/postgrest-js behaviour)", () => {
  it("a failed fetch resolves with status 0 and an error, it is not thrown", async () => {
    const client = createClient(REFUSED_URL, "key", { realtime: { transport: ws as never } });
    const result = await client.rpc("ping", {});
    expect(result.status).toBe(0);
    expect(result.error?.message).toMatch(/^TypeError: fetch failed/);
  });

  it("a request aborted by db.timeout resolves with status 0 and an AbortError", async () => {
    const silent = await serve(() => {}); // accepts, never answers
    try {
      const client = createClient(silent.url, "key", { db: { timeout: 100 }, realtime: { transport: ws as never } });
      const result = await client.rpc("ping", {});
      expect(result.status).toBe(0);
      expect(result.error?.message).toMatch(/^AbortError/);
    } finally {
      await silent.close();
    }
  });
});

describe("the database out of reach is 'unavailable' (503), never a 500", () => {
  it("a refused connection", async () => {
    const error = await rejection(openSupabase(REFUSED_URL, "key").ping());
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(/cannot be reached/);
  });

  it("a server that never answers, after the timeout", async () => {
    const silent = await serve(() => {});
    try {
      const error = await rejection(openSupabase(silent.url, "key", { timeoutMs: 150 }).ping());
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error.message).toBe("The database did not answer within 150 ms");
    } finally {
      await silent.close();
    }
  });

  it("a proxy's HTML error page (502)", async () => {
    const proxy = await serve((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" }).end("<html><body>Bad Gateway</body></html>");
    });
    try {
      expect(await rejection(openSupabase(proxy.url, "key").ping())).toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await proxy.close();
    }
  });

  describe("PostgREST that cannot reach Postgres (stand-in over a database that refuses connections)", () => {
    let standin: PostgrestStandin;
    beforeAll(async () => {
      standin = await startPostgrestStandin({
        databaseUrl: DEAD_DATABASE_URL,
        keys: { [STANDIN_KEYS.serviceRole]: "service_role" },
      });
    });
    afterAll(async () => {
      await standin?.close();
    });

    it("answers 503 PGRST000, which is 'unavailable'", async () => {
      const raw = await fetch(`${standin.url}/rest/v1/rpc/ping`, {
        method: "POST",
        headers: { apikey: STANDIN_KEYS.serviceRole, Authorization: `Bearer ${STANDIN_KEYS.serviceRole}`, "Content-Type": "application/json" },
        body: "{}",
      });
      expect(raw.status).toBe(503);
      expect(await raw.json()).toMatchObject({ code: "PGRST000" });
      const error = await rejection(openSupabase(standin.url, STANDIN_KEYS.serviceRole).ping());
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error.message).toBe("Supabase cannot reach its database");
    });

    it("a failed write is sent once: supabase-js does not retry POSTs", async () => {
      const db = openSupabase(standin.url, STANDIN_KEYS.serviceRole);
      const before = standin.requests();
      await rejection(db.scalar("destroy_app_session", { p_session_id: "00000000-0000-0000-0000-000000000000" }));
      expect(standin.requests() - before).toBe(1);
    });

    it("a wrong service role key is refused by the gateway; the message names the setting, never the key", async () => {
      const error = await rejection(openSupabase(standin.url, "not-the-key").ping());
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error.message).toMatch(/SUPABASE_SERVICE_ROLE_KEY/);
      expect(error.message).not.toContain("not-the-key");
    });
  });
});

describe.runIf(postgresAvailable())("what the database says comes back typed (stand-in over real PostgreSQL)", () => {
  let standin: PostgrestStandin;
  let store: Store;
  let direct: Awaited<ReturnType<typeof openPostgres>>;
  let scratchUrl: string;
  let close: () => Promise<void>;
  const headers = {
    apikey: STANDIN_KEYS.serviceRole,
    Authorization: `Bearer ${STANDIN_KEYS.serviceRole}`,
    "Content-Type": "application/json",
  };
  const post = (fn: string, body: unknown, key: string = STANDIN_KEYS.serviceRole) =>
    fetch(`${standin.url}/rest/v1/rpc/${fn}`, {
      method: "POST",
      headers: { ...headers, apikey: key, Authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    const db = await openPostgres(scratch.url);
    await migrate(db);
    standin = await startPostgrestStandin({
      databaseUrl: scratch.url,
      keys: { [STANDIN_KEYS.serviceRole]: "service_role", [STANDIN_KEYS.anon]: "anon" },
      gatewayOnlyKeys: [GATEWAY_ONLY_KEY],
    });
    store = new Store(openSupabase(standin.url, STANDIN_KEYS.serviceRole));
    scratchUrl = scratch.url;
    direct = db;
    close = async () => {
      await standin.close();
      await db.close();
      await scratch.drop();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  it("the stand-in answers in PostgREST's shapes: a set as an array, a value as itself, void as 204", async () => {
    const client = await makeClient(store);
    const set = await post("list_app_sessions", { p_client_id: client.id });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual([]);
    const value = await post("destroy_app_session", { p_session_id: client.id });
    expect(await value.text()).toBe("0");
    const none = await post("record_session_event", { p_event: "test" });
    expect(none.status).toBe(204);
    expect(none.headers.get("content-type")).toBeNull();
    expect(await none.text()).toBe("");
  });

  // The bodies below are PostgREST v16.2's (the Supabase CLI 2.117.0 runs
  // postgrest/postgrest:v16.2), copied from PostgREST/postgrest@v16.2
  // src/library/PostgREST/Error.hs, not from the stand-in.

  it("an unknown function is PGRST202 (404), PostgREST's body; the adapter's DatabaseError carries it", async () => {
    // Error.hs@v16.2 `instance ErrorBody SchemaCacheError`, NoRpc: message, details (POST with a JSON body), no hint.
    const raw = await post("no_such_function", { p_y: 2, p_x: 1 });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({
      code: "PGRST202",
      message: "Could not find the function public.no_such_function(p_x, p_y) in the schema cache",
      details:
        "Searched for the function public.no_such_function with parameters p_x, p_y or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
      hint: null,
    });
    const one = await (await post("no_such_function", { p_x: 1 })).json();
    expect(one.details).toBe(
      "Searched for the function public.no_such_function with parameter p_x or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
    );
    const none = await (await post("no_such_function", {})).json();
    expect(none).toMatchObject({
      message: "Could not find the function public.no_such_function without parameters in the schema cache",
      details: "Searched for the function public.no_such_function without parameters, but no matches were found in the schema cache.",
    });

    const error = await rejection(store.db.rows("no_such_function", { p_x: 1 }));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({
      code: "PGRST202",
      message: "Could not find the function public.no_such_function(p_x) in the schema cache",
    });
  });

  it("a key PostgREST cannot decode is PGRST301 (401) with its WWW-Authenticate; the adapter says 'unavailable' and names the setting", async () => {
    // Error.hs@v16.2 `instance ErrorBody JwtError` (UnexpectedParts) and
    // `invalidTokenHeader`; Auth/Jwt.hs `parseToken` counts the dot-separated parts.
    const raw = await post("ping", {}, GATEWAY_ONLY_KEY);
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toBe('Bearer error="invalid_token", error_description="Expected 3 parts in JWT; got 1"');
    expect(await raw.json()).toEqual({ code: "PGRST301", message: "Expected 3 parts in JWT; got 1", details: null, hint: null });

    const error = await rejection(openSupabase(standin.url, GATEWAY_ONLY_KEY).ping());
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toBe("Supabase refused the API key (check SUPABASE_SERVICE_ROLE_KEY)");
    expect(error.message).not.toContain(GATEWAY_ONLY_KEY);
  });

  it("while PostgREST reloads its schema cache, every call is 503 PGRST002: 'unavailable', and calls work again after", async () => {
    // App.hs@v16.2 `postgrestResponse` (no schema cache) and Error.hs `NoSchemaCacheError`.
    const reload = standin.reloadSchemaCache();
    try {
      const raw = await post("ping", {});
      expect(raw.status).toBe(503);
      expect(await raw.json()).toEqual({
        code: "PGRST002",
        message: "Could not query the database for the schema cache. Retrying.",
        details: null,
        hint: null,
      });
      const error = await rejection(store.ping());
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error.message).toBe("Supabase cannot reach its database");
    } finally {
      reload.finish();
    }
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe("a statement timeout (57014) is 'unavailable' (503 to users), not a 500", () => {
    beforeAll(async () => {
      await direct.exec(`
        create function public.slow_ping() returns integer language sql as 'select 1 from pg_sleep(2)';
        select app_private.restrict_to_service_role(array['slow_ping']);`);
    });

    it("through PostgREST: its 500 with 57014, the adapter's DatabaseUnavailableError", async () => {
      // PostgREST applies the role's settings (docs/references/transactions.rst@v16.2,
      // "Impersonated Role Settings"); Error.hs `mapSQLtoHTTP`: class 57 is 500.
      const database = new URL(scratchUrl).pathname.slice(1);
      await direct.exec(`alter role service_role in database ${database} set statement_timeout = '200ms'`);
      try {
        const raw = await post("slow_ping", {});
        expect(raw.status).toBe(500);
        expect(await raw.json()).toEqual({
          code: "57014",
          message: "canceling statement due to statement timeout",
          details: null,
          hint: null,
        });
        const error = await rejection(store.db.scalar("slow_ping", {}));
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
      } finally {
        await direct.exec(`alter role service_role in database ${database} reset statement_timeout`);
      }
    });

    it("on a direct connection too", async () => {
      const db = await openPostgres(scratchUrl, { max: 1 });
      try {
        await db.exec("set statement_timeout = '200ms'");
        const error = await rejection(db.scalar("slow_ping", {}));
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
      } finally {
        await db.close();
      }
    });
  });
  it("every function the store calls is in public and executable by service_role (else PGRST202 or 42501 in production)", async () => {
    const source = fs.readFileSync(path.join(import.meta.dirname, "..", "..", "app", "lib", "db", "store.server.ts"), "utf8");
    const called = [...new Set([...source.matchAll(/db\.(?:rows|scalar)\(\s*"([a-z_0-9]+)"/g)].map((m) => m[1]))].sort();
    expect(called.length).toBeGreaterThan(20);
    const reachable = await direct.query<{ name: string }>(
      `select distinct p.proname as name from pg_proc p
        where p.pronamespace = 'public'::regnamespace and has_function_privilege('service_role', p.oid, 'EXECUTE')
          and p.proname = any ($1::text[]) order by 1`,
      [called],
    );
    expect(reachable.map((r) => r.name)).toEqual(called);
  });

  it("a client's settings change through the Data API (update_client)", async () => {
    const client = await makeClient(store);
    const updated = await store.updateClient(client.id, "Renamed Winery", now());
    expect(updated).toMatchObject({ id: client.id, organizationName: "Renamed Winery" });
    expect(await store.getClient(client.id)).toMatchObject({ organizationName: "Renamed Winery" });
  });

  it("a rule the SQL enforces comes back with its SQLSTATE and message (22023, HTTP 400)", async () => {
    const client = await makeClient(store);
    const raw = await post("create_app_session", {
      p_token_hash: "00".repeat(32),
      p_client_id: client.id,
      p_ttl_seconds: 0,
      p_idle_timeout_seconds: 60,
    });
    expect(raw.status).toBe(400);
    const error = await rejection(
      store.createAppSession({ tokenHash: "00".repeat(32), clientId: client.id, ttlSeconds: 0, idleTimeoutSeconds: 60 }, now()),
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "22023", message: "session lifetimes must be positive" });
  });

  it("a constraint violation carries PostgREST's details (23503, HTTP 409)", async () => {
    const missingClient = "11111111-1111-1111-1111-111111111111";
    const error = await rejection(
      store.createAppSession({ tokenHash: "11".repeat(32), clientId: missingClient, ttlSeconds: 60, idleTimeoutSeconds: 60 }, now()),
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "23503", details: expect.stringContaining(missingClient) });
  });

  it("the anon key is refused by the grants: 42501, 401 with WWW-Authenticate (anon is not 'authed'); a DatabaseError, not 'unavailable'", async () => {
    // Error.hs@v16.2 `mapSQLtoHTTP` ("42501" -> 401 unless authed; authed is
    // `Just authRole /= configDbAnonRole`, App.hs) and `instance ErrorHeaders PgError`.
    const raw = await post("validate_app_session", { p_token_hash: "00".repeat(32) }, STANDIN_KEYS.anon);
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toBe("Bearer");
    expect(await raw.json()).toEqual({
      code: "42501",
      message: "permission denied for function validate_app_session",
      details: null,
      hint: null,
    });
    const anon = openSupabase(standin.url, STANDIN_KEYS.anon);
    const error = await rejection(anon.rows("validate_app_session", { p_token_hash: "00".repeat(32) }));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "42501", message: "permission denied for function validate_app_session" });
  });
});
