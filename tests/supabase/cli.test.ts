/**
 * The real Supabase CLI (the `supabase` devDependency, 2.117.0) on this
 * repository's supabase/ directory, against scratch PostgreSQL databases set
 * up as a Supabase project is: `supabase db push --db-url` applies every
 * migration and then nothing, `supabase migration list` sees local = remote,
 * and the CLI and `npm run db:migrate` keep ONE ledger
 * (supabase_migrations.schema_migrations), whichever of the two goes first.
 * (`supabase start`, which needs Docker, is not run here.)
 */
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { listMigrations } from "~/lib/db/migrate.server";
import {
  cliDbUrl,
  dbMigrate,
  projectWithFirstMigrations,
  supabaseCli,
  supabaseCliAvailable,
} from "../support/commands";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { requireOrSkip } from "../support/require";

const ready =
  postgresAvailable() &&
  requireOrSkip("Supabase CLI", supabaseCliAvailable(), "node_modules/.bin/supabase is missing: run `npm ci` (devDependency supabase@2.117.0)");

const ALL = listMigrations();
/** Each test starts the CLI and `npm run db:migrate` several times: generous on a busy machine. */
const SLOW = 120_000;
const HALF = Math.ceil(ALL.length / 2);

/** The CLI's view: `supabase migration list` as JSON. */
async function cliMigrationList(url: string, workdir?: string) {
  const result = await supabaseCli(["migration", "list", "--db-url", cliDbUrl(url), "--output-format", "json"], workdir);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { migrations: Array<{ local: string; remote: string }> }).migrations;
}

/** Versions the CLI said it applied ("Applying migration <version>_<name>.sql...", on stderr with its other progress). */
function appliedByCli(result: { stdout: string; stderr: string }): string[] {
  return [...(result.stderr + result.stdout).matchAll(/Applying migration (\d{14})_/g)].map((m) => m[1]);
}

/** Versions `npm run db:migrate` said it applied ("applied <version>_<name>"). */
function appliedByUs(stdout: string): string[] {
  return [...stdout.matchAll(/^applied (\d{14})_/gm)].map((m) => m[1]);
}

describe.runIf(ready)("the Supabase CLI on supabase/", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function scratchProject() {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => scratch.drop(), () => sql.end());
    const ledger = async () =>
      (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`).map(
        (r) => r.version,
      );
    return { url: scratch.url, sql, ledger };
  }

  it("db push applies every migration, a second push applies nothing, and migration list shows local = remote", async () => {
    const db = await scratchProject();

    const first = await supabaseCli(["db", "push", "--db-url", cliDbUrl(db.url)]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(appliedByCli(first)).toEqual(ALL.map((m) => m.version));
    expect(await db.ledger()).toEqual(ALL.map((m) => m.version));

    const second = await supabaseCli(["db", "push", "--db-url", cliDbUrl(db.url)]);
    expect(second.code, second.stderr).toBe(0);
    expect(appliedByCli(second)).toEqual([]);
    expect(second.stdout + second.stderr).toMatch(/up to date/i);

    expect(await cliMigrationList(db.url)).toEqual(ALL.map((m) => expect.objectContaining({ local: m.version, remote: m.version })));

    // What the CLI built is the app's schema: the session functions exist, closed to the API's public roles.
    const [fn] = await db.sql`
      select has_function_privilege('service_role', 'public.cleanup_expired_sessions(integer,integer,timestamptz)', 'execute') as service,
             has_function_privilege('anon', 'public.cleanup_expired_sessions(integer,integer,timestamptz)', 'execute') as anon`;
    expect(fn).toEqual({ service: true, anon: false });
  }, SLOW);

  it("CLI first, then npm run db:migrate: ours applies only what the CLI had not, and both call it up to date", async () => {
    const db = await scratchProject();
    const older = projectWithFirstMigrations(HALF);
    cleanups.push(() => older.remove());

    const push = await supabaseCli(["db", "push", "--db-url", cliDbUrl(db.url)], older.workdir);
    expect(push.code, push.stderr).toBe(0);
    expect(appliedByCli(push)).toEqual(older.migrations.map((m) => m.version));

    const ours = await dbMigrate({ DATABASE_URL: db.url, SUPABASE_URL: "", SUPABASE_SERVICE_ROLE_KEY: "" });
    expect(ours.code, ours.stderr).toBe(0);
    expect(appliedByUs(ours.stdout)).toEqual(ALL.slice(HALF).map((m) => m.version));

    const again = await supabaseCli(["db", "push", "--db-url", cliDbUrl(db.url)]);
    expect(again.code, again.stderr).toBe(0);
    expect(appliedByCli(again)).toEqual([]);
    expect(await cliMigrationList(db.url)).toEqual(ALL.map((m) => expect.objectContaining({ local: m.version, remote: m.version })));
    expect(await db.ledger()).toEqual(ALL.map((m) => m.version));
  }, SLOW);

  it("npm run db:migrate first, then the CLI: the CLI applies only what ours had not, and both call it up to date", async () => {
    const db = await scratchProject();
    const older = projectWithFirstMigrations(HALF);
    cleanups.push(() => older.remove());

    const ours = await dbMigrate({
      DATABASE_URL: db.url,
      SUPABASE_URL: "",
      SUPABASE_SERVICE_ROLE_KEY: "",
      MIGRATIONS_DIR: `${older.workdir}/supabase/migrations`,
    });
    expect(ours.code, ours.stderr).toBe(0);
    expect(appliedByUs(ours.stdout)).toEqual(older.migrations.map((m) => m.version));
    expect(await cliMigrationList(db.url)).toEqual(
      ALL.map((m, i) => expect.objectContaining({ local: m.version, remote: i < HALF ? m.version : "" })),
    );

    const push = await supabaseCli(["db", "push", "--db-url", cliDbUrl(db.url)]);
    expect(push.code, push.stderr).toBe(0);
    expect(appliedByCli(push)).toEqual(ALL.slice(HALF).map((m) => m.version));

    const again = await dbMigrate({ DATABASE_URL: db.url, SUPABASE_URL: "", SUPABASE_SERVICE_ROLE_KEY: "" });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/up to date/);
    expect(await cliMigrationList(db.url)).toEqual(ALL.map((m) => expect.objectContaining({ local: m.version, remote: m.version })));
  }, SLOW);
});
