/**
 * A fresh, migrated database for one suite, installed as the app's store for
 * its tests (so session functions use it) and closed afterwards:
 *
 *   const db = useTestDatabase();            // PGlite; or useTestDatabase(postgresBackend)
 *   it("…", async () => { await db().sql.query(…) });
 *
 * `availableBackends`: PGlite always, PostgreSQL when it answers (said when
 * skipped), for suites that run against each.
 */
import { afterAll, beforeAll } from "vitest";
import { setStore } from "~/lib/db/index.server";
import { pgliteBackend, postgresAvailable, postgresBackend, type Backend, type TestDatabase } from "./databases";

export const availableBackends: Backend[] = [pgliteBackend, ...(postgresAvailable() ? [postgresBackend] : [])];

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
