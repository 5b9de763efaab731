/**
 * A fresh, migrated database for one suite, installed as the app's store for
 * its tests (so session functions use it) and closed afterwards:
 *
 *   const db = useTestDatabase();            // PGlite; or useTestDatabase(postgresBackend)
 *   it("…", async () => { await db().sql.query(…) });
 *
 * `availableBackends`: PGlite always; PostgreSQL and Supabase (supabase-js
 * over the PostgREST stand-in on that PostgreSQL) when it answers (said when
 * skipped), for suites that run against each: so every function the store
 * calls goes through supabase-js too.
 */
import { afterAll, beforeAll } from "vitest";
import { setStore } from "~/lib/db/index.server";
import {
  pgliteBackend,
  postgresAvailable,
  postgresBackend,
  supabaseBackend,
  type Backend,
  type TestDatabase,
} from "./databases";

export const availableBackends: Backend[] = [pgliteBackend, ...(postgresAvailable() ? [postgresBackend, supabaseBackend] : [])];

export function useTestDatabase(backend: Backend = pgliteBackend): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await backend.open();
    setStore(db.store);
  });
  afterAll(async () => {
    setStore(undefined);
    await db?.close();
  });
  return () => {
    if (!db) throw new Error("the test database is opened in beforeAll: use it inside a test or hook");
    return db;
  };
}
