/**
 * npm run db:migrate: apply pending migrations to the configured database
 * (DATABASE_URL, or the embedded PGlite in PGLITE_DIR). Safe to run twice.
 */
import "./load-env";
import { ConfigError, env } from "~/lib/env.server";
import { listMigrations, migrate } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";
import { openPostgres } from "~/lib/db/postgres.server";

async function main() {
  const settings = env();
  if (settings.databaseBackend === "supabase") {
    console.error(
      "SUPABASE_URL is set: supabase-js cannot run DDL. Push the migrations with the Supabase CLI " +
        "(supabase db push), or run this command with DATABASE_URL set to the project's connection string.",
    );
    process.exit(2);
  }
  const db =
    settings.databaseBackend === "postgres"
      ? await openPostgres(settings.DATABASE_URL as string, { max: 1, timeoutMs: 60_000 })
      : await openPglite(settings.PGLITE_DIR);
  try {
    const applied = await migrate(db);
    const target = settings.databaseBackend === "postgres" ? "PostgreSQL (DATABASE_URL)" : `PGlite (${settings.PGLITE_DIR})`;
    if (applied.length === 0) {
      console.log(`${target}: up to date (${listMigrations().length} migrations).`);
    } else {
      for (const m of applied) console.log(`applied ${m.version}_${m.name}`);
      console.log(`${target}: ${applied.length} migration(s) applied.`);
    }
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`Migration failed: ${(error as Error).message}`);
  process.exit(1);
});
