/**
 * npm run db:migrate: apply pending migrations to the configured database
 * (DATABASE_URL, or the embedded PGlite in PGLITE_DIR). Safe to run twice.
 * What a migration reports (RAISE NOTICE, e.g. that pg_cron is missing and
 * cleanup must be scheduled over HTTP) is printed for the operator.
 *
 * With SUPABASE_URL set it refuses (exit 2) and says how: supabase-js only
 * calls functions through the Data API, it cannot change a schema.
 */
import "./load-env";
import { ConfigError, env } from "~/lib/env.server";
import { listMigrations, migrate } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";
import { openPostgres } from "~/lib/db/postgres.server";

const SUPABASE_ADVICE = `SUPABASE_URL is set: supabase-js calls functions through Supabase's Data API and cannot change a schema.
Apply the migrations in supabase/migrations with either
  - the Supabase CLI:   supabase link --project-ref <ref> && supabase db push
  - or this command, on the project's direct connection string (Dashboard > Connect), the Supabase pair unset for this run:
      SUPABASE_URL= SUPABASE_SERVICE_ROLE_KEY= DATABASE_URL='postgresql://postgres:<password>@db.<ref>.supabase.co:5432/postgres' npm run db:migrate
Both record what they applied in supabase_migrations.schema_migrations, so either can take over from the other.
See docs/SUPABASE.md.`;

async function main() {
  const settings = env();
  if (settings.databaseBackend === "supabase") {
    console.error(SUPABASE_ADVICE);
    process.exit(2);
  }
  const db =
    settings.databaseBackend === "postgres"
      ? await openPostgres(settings.DATABASE_URL as string, {
          max: 1,
          timeoutMs: 60_000,
          // 00000: raised by a migration; not the server's own "already exists, skipping".
          onNotice: (notice) => {
            if (notice.code === "00000") console.log(`notice: ${notice.message}`);
          },
        })
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
