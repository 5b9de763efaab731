/**
 * Applies supabase/migrations/*.sql in name order, recording each in the same
 * table the Supabase CLI uses (supabase_migrations.schema_migrations), so a
 * database migrated here is seen as up to date by `supabase db push`, and
 * the reverse. Safe to run twice and from several instances at once: the
 * whole run holds a transaction-scoped advisory lock.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SqlDatabase } from "./types";

export interface Migration {
  version: string;
  name: string;
  file: string;
}

const MIGRATION_FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/;
/** Arbitrary, fixed: the key of the advisory lock migrations hold. */
const MIGRATION_LOCK_KEY = 7_402_113_001;

/** Find supabase/migrations whether we run from source (app/lib/db) or from the build (build/). */
export function migrationsDir(): string {
  if (process.env.MIGRATIONS_DIR) return path.resolve(process.env.MIGRATIONS_DIR);
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "supabase", "migrations");
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error("supabase/migrations not found (set MIGRATIONS_DIR)");
}

export function listMigrations(dir = migrationsDir()): Migration[] {
  return fs
    .readdirSync(dir)
    .map((file) => MIGRATION_FILE.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: m[1], name: m[2], file: path.join(dir, m[0]) }))
    .sort((a, b) => a.version.localeCompare(b.version));
}

/** Apply what is pending; resolves to the migrations applied by this call. */
export async function migrate(db: SqlDatabase, dir = migrationsDir()): Promise<Migration[]> {
  const migrations = listMigrations(dir);
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.exec(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key,
        statements text[],
        name text
      );`);
    const done = new Set(
      (await tx.query<{ version: string }>("select version from supabase_migrations.schema_migrations")).map(
        (r) => r.version,
      ),
    );
    const applied: Migration[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(fs.readFileSync(migration.file, "utf8"));
      await tx.query("insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration);
    }
    return applied;
  });
}

let knownVersions: string[] | undefined;

/** The migrations this build ships (read once: they do not change while it runs). */
export function knownMigrationVersions(): string[] {
  knownVersions ??= listMigrations().map((m) => m.version);
  return knownVersions;
}

/**
 * Which of the build's migrations the database lacks, in order; empty when
 * it is up to date. (A database ahead of the build, during a rolling deploy,
 * is fine: migrations only add.)
 */
export async function pendingMigrations(store: { appliedMigrations(): Promise<string[] | null> }): Promise<string[]> {
  const known = knownMigrationVersions();
  const applied = await store.appliedMigrations();
  if (applied === null) return known;
  const done = new Set(applied);
  return known.filter((version) => !done.has(version));
}
