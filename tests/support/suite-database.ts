/**
 * For suites that run the app's code in process against each backend: the
 * backends available here (PGlite always; PostgreSQL with TEST_DATABASE_URL,
 * said when skipped), and a fresh database per suite made the app's store.
 */
import { afterAll, beforeAll } from "vitest";
import { setStore } from "~/lib/db/index.server";
import { pgliteBackend, postgresAvailable, postgresBackend, type Backend, type TestDatabase } from "./databases";

export const availableBackends: Backend[] = [pgliteBackend, ...(postgresAvailable() ? [postgresBackend] : [])];

/** Open a fresh database for this suite and make it the app's store; returns a getter for it. */
export function useSuiteDatabase(backend: Backend): () => TestDatabase {
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
    if (!db) throw new Error("the suite database is not open yet");
    return db;
  };
}
