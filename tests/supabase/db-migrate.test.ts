/**
 * `npm run db:migrate` for Supabase users: with SUPABASE_URL set it refuses
 * (exit 2) and says how to migrate; on the project's connection string it
 * applies the migrations and prints what they report (the pg_cron NOTICE).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbMigrate } from "../support/commands";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { pgCronDatabase } from "../support/pg-cron";

describe("npm run db:migrate with Supabase", () => {
  it("with SUPABASE_URL set, refuses with exit 2 and names both ways to migrate", async () => {
    const { code, stderr } = await dbMigrate({
      SUPABASE_URL: "https://example-ref.supabase.co",
      SUPABASE_SERVICE_ROLE_KEY: "service-role-key-for-the-test",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("supabase db push");
    expect(stderr).toContain("SUPABASE_URL= SUPABASE_SERVICE_ROLE_KEY= DATABASE_URL=");
    expect(stderr).not.toContain("service-role-key-for-the-test");
  });

  describe.runIf(postgresAvailable())("on the connection string, the Supabase pair unset for the run", () => {
    let scratch: { url: string; drop(): Promise<void> };
    beforeAll(async () => {
      scratch = await createScratchDatabase(undefined, { supabase: true });
    });
    afterAll(async () => {
      await scratch?.drop();
    });

    it("applies the migrations, prints the pg_cron NOTICE, and is up to date the second time", async () => {
      const env = { SUPABASE_URL: "", SUPABASE_SERVICE_ROLE_KEY: "", DATABASE_URL: scratch.url };
      const first = await dbMigrate(env);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/applied 20261123100100_schedule_session_cleanup/);
      // What the operator must do next depends on where this server runs pg_cron
      // (CI: in `postgres`; PGlite, without it, is tests/supabase/scheduled-cleanup.test.ts).
      const cronDatabase = await pgCronDatabase();
      if (cronDatabase) {
        expect(first.stdout).toMatch(
          new RegExp(`notice: pg_cron runs in database "?${cronDatabase}"? .*select cron\\.schedule_in_database\\(`),
        );
      } else {
        expect(first.stdout).toMatch(/notice: pg_cron is not available/);
      }
      const second = await dbMigrate(env);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/up to date/);
      // The server's own notices ("schema ... already exists, skipping") are not the operator's business.
      expect(second.stdout).not.toMatch(/notice:/);
    });
  });
});
