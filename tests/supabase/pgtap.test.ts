/**
 * The pgTAP tests in supabase/tests/ (Supabase's convention: what
 * `supabase test db` runs), run here with Debian's pg_prove against a
 * scratch database that `supabase db push` built from the migrations, set up
 * as a Supabase project is (its API roles and default privileges). The
 * lock-down itself is asserted in SQL there (api_roles.test.sql); this file
 * runs it and proves a broken lock-down turns the run red.
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliDbUrl, pgProve, pgProvePath, ROOT, supabaseCli, supabaseCliAvailable } from "../support/commands";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { requireOrSkip } from "../support/require";

const TESTS_DIR = path.join(ROOT, "supabase", "tests", "database");
const TEST_FILES = fs
  .readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith(".test.sql"))
  .map((f) => path.join(TESTS_DIR, f));

const ready =
  postgresAvailable() &&
  requireOrSkip(
    "pgTAP",
    pgProvePath() !== null,
    "pg_prove is not installed: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl (or run `bash .ci/run`)",
  ) &&
  requireOrSkip("Supabase CLI", supabaseCliAvailable(), "node_modules/.bin/supabase is missing: run `npm ci`");

describe.runIf(ready)("pgTAP: supabase/tests/ with pg_prove", () => {
  let scratch: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    scratch = await createScratchDatabase(undefined, { supabase: true });
    const push = await supabaseCli(["db", "push", "--db-url", cliDbUrl(scratch.url)]);
    expect(push.code, push.stderr).toBe(0);
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it("every test file passes on the database the migrations built", async () => {
    expect(TEST_FILES.length).toBeGreaterThan(0);
    const run = await pgProve(scratch.url, TEST_FILES);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/All tests successful/);
    expect(run.stdout).toMatch(/Result: PASS/);
    // Nothing of the tests stays behind: they run in a transaction that is rolled back.
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      const [left] = await sql`
        select (select count(*)::int from app_sessions) as sessions,
               (select count(*)::int from pg_extension where extname = 'pgtap') as pgtap`;
      expect(left).toEqual({ sessions: 0, pgtap: 0 });
    } finally {
      await sql.end();
    }
  });

  it("a lock-down undone by hand turns the run red and names what broke", async () => {
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await sql`grant select on public.app_sessions to anon`;
      await sql`grant execute on function public.ping() to authenticated`;
      const run = await pgProve(scratch.url, TEST_FILES);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/not ok \d+ - anon holds no privilege on any table, view or sequence in public/);
      expect(run.stdout).toMatch(/not ok \d+ - anon cannot read app_sessions/);
      expect(run.stdout).toMatch(/not ok \d+ - authenticated can execute no function or procedure in public/);
      expect(run.stdout).toMatch(/Result: FAIL/);
    } finally {
      await sql`revoke select on public.app_sessions from anon`;
      await sql`revoke execute on function public.ping() from authenticated`;
      await sql.end();
    }
  });
});
