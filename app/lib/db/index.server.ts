/**
 * The process's database, chosen by the settings:
 *   SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY -> supabase-js (.rpc)
 *   DATABASE_URL                             -> Postgres, pooled
 *   neither                                  -> embedded PGlite in PGLITE_DIR
 * The embedded default applies pending migrations when it opens.
 */
import { env } from "~/lib/env.server";
import { logger } from "~/lib/log.server";
import { migrate } from "./migrate.server";
import { openPostgres } from "./postgres.server";
import { Store } from "./store.server";
import type { Database } from "./types";

// Kept on globalThis: in development the server re-imports rebuilt code, and
// a second PGlite on the same folder in one process would corrupt it.
const holder = globalThis as typeof globalThis & { __appStore?: Promise<Store> };

export async function openDatabase(): Promise<Database> {
  const settings = env();
  switch (settings.databaseBackend) {
    case "supabase": {
      const { openSupabase } = await import("./supabase.server");
      return openSupabase(settings.SUPABASE_URL as string, settings.SUPABASE_SERVICE_ROLE_KEY as string, {
        timeoutMs: settings.DATABASE_TIMEOUT_MS,
      });
    }
    case "postgres":
      return openPostgres(settings.DATABASE_URL as string, {
        max: settings.DATABASE_POOL_MAX,
        timeoutMs: settings.DATABASE_TIMEOUT_MS,
      });
    case "pglite": {
      const { openPglite } = await import("./pglite.server");
      const db = await openPglite(settings.PGLITE_DIR);
      try {
        const applied = await migrate(db);
        if (applied.length > 0) {
          logger.info({ migrations: applied.map((m) => m.version) }, "applied migrations to the embedded database");
        }
      } catch (error) {
        await db.close();
        throw error;
      }
      return db;
    }
  }
}

/** The store of this process, opened on first use. */
export function getStore(): Promise<Store> {
  holder.__appStore ??= openDatabase().then(
    (db) => new Store(db),
    (error) => {
      holder.__appStore = undefined; // let the next request try again
      throw error;
    },
  );
  return holder.__appStore;
}

/** Tests and scripts: use this store instead of the one the settings select. */
export function setStore(store: Store | undefined): void {
  holder.__appStore = store ? Promise.resolve(store) : undefined;
}

export async function closeStore(): Promise<void> {
  const pending = holder.__appStore;
  holder.__appStore = undefined;
  if (pending) await (await pending.catch(() => null))?.db.close();
}
