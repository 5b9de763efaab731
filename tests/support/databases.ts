/**
 * Real databases for tests, each isolated:
 *   - PGlite: a fresh in-memory instance, migrated;
 *   - PostgreSQL: a fresh database created on TEST_DATABASE_URL's server for
 *     the suite, migrated, dropped afterwards (parallel runs never collide).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { migrate } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import type { Database, SqlExecutor } from "~/lib/db/types";
import { requireOrSkip } from "./require";

export interface TestDatabase {
  name: string;
  store: Store;
  /** Direct SQL on the same database, to inspect rows behind the store's back. */
  sql: SqlExecutor;
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

/** A new, empty database on the test server; `drop()` removes it. */
export async function createScratchDatabase(
  baseUrl = TEST_DATABASE_URL as string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
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

export function postgresAvailable(): boolean {
  return requireOrSkip(
    "PostgreSQL",
    Boolean(TEST_DATABASE_URL),
    "TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)",
  );
}

export type { Database };
