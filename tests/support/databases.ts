/**
 * Real databases for tests, each isolated:
 *   - PGlite: a fresh in-memory instance, migrated;
 *   - PostgreSQL: a fresh database created on TEST_DATABASE_URL's server for
 *     the suite, migrated, dropped afterwards (parallel runs never collide);
 *   - Supabase: supabase-js against the PostgREST stand-in
 *     (tests/support/postgrest-standin.ts) over such a scratch database, set
 *     up as a Supabase project is (API roles, default privileges).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { migrate } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import { openSupabase } from "~/lib/db/supabase.server";
import type { Database, SqlExecutor } from "~/lib/db/types";
import { startPostgrestStandin } from "./postgrest-standin";
import { requireOrSkip } from "./require";

export interface TestDatabase {
  name: string;
  store: Store;
  /** Direct SQL on the same database, to inspect rows behind the store's back. */
  sql: SqlExecutor;
  /** Supabase backend only: the project URL (the stand-in) the store talks to. */
  supabaseUrl?: string;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  open(): Promise<TestDatabase>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export const pgliteBackend: Backend = {
  name: "PGlite",
  async open() {
    const db = await openPglite("memory://");
    await migrate(db);
    return { name: "PGlite", store: new Store(db), sql: db, close: () => db.close() };
  },
};

/**
 * Supabase's API roles (anon, authenticated, service_role) are cluster-wide.
 * Create them as Supabase has them, once per server, before any scratch
 * database is migrated, so every migration's grants apply the same way in
 * every suite. Safe to run from parallel test processes.
 */
export async function ensureSupabaseRoles(baseUrl = TEST_DATABASE_URL as string): Promise<void> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    const roles: Array<[string, string]> = [
      ["anon", "nologin noinherit"],
      ["authenticated", "nologin noinherit"],
      ["service_role", "nologin noinherit bypassrls"],
    ];
    const found = await admin<{ rolname: string; rolbypassrls: boolean }[]>`
      select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role')`;
    const existing = new Set(found.map((r) => r.rolname));
    for (const [role, attributes] of roles) {
      if (existing.has(role)) continue;
      try {
        await admin.unsafe(`create role ${role} ${attributes}`);
      } catch (error) {
        // Another test process created it first: 42710 duplicate_object, or 23505 when both inserts raced.
        const code = (error as { code?: string }).code;
        if (code !== "42710" && code !== "23505") throw error;
      }
    }
    // As on Supabase, service_role bypasses row-level security (fix a role created otherwise).
    if (found.some((r) => r.rolname === "service_role" && !r.rolbypassrls)) {
      await admin.unsafe("alter role service_role bypassrls");
    }
  } finally {
    await admin.end();
  }
}

/**
 * What a new Supabase project grants in `public` (its Data API exposes it):
 * usage to the API roles, and default privileges that hand them every new
 * table, sequence and function ("By default, tables in the public schema are
 * granted SELECT, INSERT, UPDATE, and DELETE to the anon and authenticated
 * roles": supabase.com/docs/guides/troubleshooting/database-api-42501-errors).
 * Our migrations must take these away again.
 */
const SUPABASE_PROJECT_DEFAULTS = `
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
`;

/**
 * A new, empty database on the test server; `drop()` removes it. With
 * `supabase: true` it starts as a Supabase project's database does.
 */
export async function createScratchDatabase(
  baseUrl = TEST_DATABASE_URL as string,
  options: { supabase?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  await ensureSupabaseRoles(baseUrl);
  const name = `test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  if (options.supabase) {
    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await db.unsafe(SUPABASE_PROJECT_DEFAULTS);
    await db.end();
  }
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export const postgresBackend: Backend = {
  name: "PostgreSQL",
  async open() {
    const scratch = await createScratchDatabase();
    const db = await openPostgres(scratch.url, { max: 20 });
    await migrate(db);
    return {
      name: "PostgreSQL",
      store: new Store(db),
      sql: db,
      async close() {
        await db.close();
        await scratch.drop();
      },
    };
  },
};

/** The keys the stand-in accepts, as a Supabase project has a secret and a public one. */
export const STANDIN_KEYS = {
  serviceRole: "standin-service-role-key",
  anon: "standin-anon-key",
} as const;

export const supabaseBackend: Backend = {
  name: "Supabase (supabase-js over the PostgREST stand-in)",
  async open() {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    // Migrations run as the owner, as `supabase db push` does; the app's calls go through the API.
    const direct = await openPostgres(scratch.url, { max: 5 });
    await migrate(direct);
    const standin = await startPostgrestStandin({
      databaseUrl: scratch.url,
      keys: { [STANDIN_KEYS.serviceRole]: "service_role", [STANDIN_KEYS.anon]: "anon" },
    });
    const db = openSupabase(standin.url, STANDIN_KEYS.serviceRole);
    return {
      name: "Supabase",
      store: new Store(db),
      sql: direct,
      supabaseUrl: standin.url,
      async close() {
        await db.close();
        await standin.close();
        await direct.close();
        await scratch.drop();
      },
    };
  },
};

export function postgresAvailable(): boolean {
  return requireOrSkip(
    "PostgreSQL",
    Boolean(TEST_DATABASE_URL),
    "no PostgreSQL: TEST_DATABASE_URL is not set and nothing answers at postgres://postgres@127.0.0.1:5432/test",
  );
}

export type { Database };
