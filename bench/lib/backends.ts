/**
 * The three backends, opened fresh for the benchmark: embedded PGlite, a
 * scratch database on the local PostgreSQL, and the Supabase adapter over the
 * PostgREST stand-in (tests/support) executing on that same database.
 */
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
  close(): Promise<void>;
}

export async function openPgliteBench(): Promise<BenchBackend> {
  const db = await openPglite("memory://");
  await migrate(db);
  return { name: "PGlite", store: new Store(db), sql: db, close: () => db.close() };
}

export interface PostgresPair {
  postgres: BenchBackend;
  supabase: BenchBackend;
  url: string;
  close(): Promise<void>;
}

/** Direct PostgreSQL and the Supabase adapter, on one scratch database (same rows, same plans). */
export async function openPostgresPair(baseUrl: string): Promise<PostgresPair> {
  const scratch = await createScratchDatabase(baseUrl, { supabase: true });
  const db = await openPostgres(scratch.url, { max: 10, timeoutMs: 60_000 });
  await migrate(db);
  const standin: PostgrestStandin = await startPostgrestStandin({
    databaseUrl: scratch.url,
    keys: { [STANDIN_KEYS.serviceRole]: "service_role" },
  });
  const supabaseDb = openSupabase(standin.url, STANDIN_KEYS.serviceRole, { timeoutMs: 60_000 });
  return {
    url: scratch.url,
    postgres: { name: "PostgreSQL", store: new Store(db), sql: db, close: async () => {} },
    supabase: { name: "Supabase adapter", store: new Store(supabaseDb), sql: db, close: async () => {} },
    async close() {
      await supabaseDb.close();
      await standin.close();
      await db.close();
      await scratch.drop();
    },
  };
}
