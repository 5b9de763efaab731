/**
 * The three backends, opened fresh for the benchmark: embedded PGlite, a
 * scratch database on the local PostgreSQL, and the Supabase adapter over the
 * PostgREST stand-in (tests/support) executing on that same database.
 *
 * Each comes with its FLOOR: the bare driver's round trip, outside our code
 * (PGlite's own `query('select 1')` on the same instance; the `postgres`
 * driver's tagged `select 1` with the pool settings the app uses; over the
 * Data API the cheapest RPC, `ping`, straight through supabase-js).
 */
import { PGlite } from "@electric-sql/pglite";
import { createClient } from "@supabase/supabase-js";
import postgres from "postgres";
import ws from "ws";
import { migrate } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import { openSupabase } from "~/lib/db/supabase.server";
import type { SqlDatabase } from "~/lib/db/types";
import { createScratchDatabase, STANDIN_KEYS } from "../../tests/support/databases";
import { startPostgrestStandin, type PostgrestStandin } from "../../tests/support/postgrest-standin";

export interface BenchBackend {
  name: "PGlite" | "PostgreSQL" | "Supabase adapter";
  store: Store;
  /** Direct SQL on the data behind the store (population, inspection). */
  sql: SqlDatabase;
  /** The bare driver's cheapest round trip, outside our wrapper. */
  floor: () => Promise<unknown>;
  floorLabel: string;
  close(): Promise<void>;
}

export async function openPgliteBench(): Promise<BenchBackend> {
  const pg = await PGlite.create();
  const db = await openPglite("memory://", { instance: pg });
  await migrate(db);
  return {
    name: "PGlite",
    store: new Store(db),
    sql: db,
    floor: () => pg.query("select 1"),
    floorLabel: "PGlite `query('select 1')`",
    close: () => db.close(),
  };
}

export interface PostgresPair {
  postgres: BenchBackend;
  supabase: BenchBackend;
  url: string;
  /** The scratch database's name (its backends' CPU is read from /proc). */
  database: string;
  close(): Promise<void>;
}

/** Direct PostgreSQL and the Supabase adapter, on one scratch database (same rows, same plans). */
export async function openPostgresPair(baseUrl: string): Promise<PostgresPair> {
  const scratch = await createScratchDatabase(baseUrl, { supabase: true });
  const db = await openPostgres(scratch.url, { max: 10, timeoutMs: 60_000 });
  await migrate(db);
  // The settings openPostgres gives its pool (max 10, prepared statements).
  const bare = postgres(scratch.url, { max: 10, idle_timeout: 30, prepare: true });
  const standin: PostgrestStandin = await startPostgrestStandin({
    databaseUrl: scratch.url,
    keys: { [STANDIN_KEYS.serviceRole]: "service_role" },
  });
  const supabaseDb = openSupabase(standin.url, STANDIN_KEYS.serviceRole, { timeoutMs: 60_000 });
  const supabaseJs = createClient(standin.url, STANDIN_KEYS.serviceRole, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws as never },
  });
  return {
    url: scratch.url,
    database: new URL(scratch.url).pathname.slice(1),
    postgres: {
      name: "PostgreSQL",
      store: new Store(db),
      sql: db,
      floor: () => bare`select 1`,
      floorLabel: "`postgres` driver, tagged `select 1`",
      close: async () => {},
    },
    supabase: {
      name: "Supabase adapter",
      store: new Store(supabaseDb),
      sql: db,
      floor: async () => {
        const { error } = await supabaseJs.rpc("ping");
        if (error) throw new Error(error.message);
      },
      floorLabel: "supabase-js `rpc('ping')`",
      close: async () => {},
    },
    async close() {
      await supabaseDb.close();
      await standin.close();
      await bare.end({ timeout: 5 });
      await db.close();
      await scratch.drop();
    },
  };
}
