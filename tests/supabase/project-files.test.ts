/**
 * The Supabase CLI's project files: supabase/config.toml parses and points the
 * CLI at what exists; supabase/seed.sql runs after the migrations, as
 * `supabase db reset` runs it, and refuses a database without them.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { migrate } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";

const SUPABASE_DIR = path.resolve(import.meta.dirname, "..", "..", "supabase");
const seed = fs.readFileSync(path.join(SUPABASE_DIR, "seed.sql"), "utf8");

describe("supabase/config.toml", () => {
  const config = parse(fs.readFileSync(path.join(SUPABASE_DIR, "config.toml"), "utf8")) as {
    project_id: string;
    api: { enabled: boolean; schemas: string[] };
    db: { major_version: number; migrations: { enabled: boolean }; seed: { enabled: boolean; sql_paths: string[] } };
  };

  it("serves the schema that holds the session functions through the Data API", () => {
    expect(config.project_id).toMatch(/\S/);
    expect(config.api.enabled).toBe(true);
    expect(config.api.schemas).toContain("public");
  });

  it("runs our migrations on a PostgreSQL they support, then seeds from files that exist", () => {
    expect(config.db.major_version).toBeGreaterThanOrEqual(15);
    expect(config.db.migrations.enabled).toBe(true);
    expect(fs.readdirSync(path.join(SUPABASE_DIR, "migrations")).length).toBeGreaterThan(0);
    expect(config.db.seed.enabled).toBe(true);
    for (const file of config.db.seed.sql_paths) {
      expect(fs.existsSync(path.join(SUPABASE_DIR, file)), file).toBe(true);
    }
  });
});

describe("supabase/seed.sql", () => {
  it("fails loudly on a database the migrations did not reach, and runs after them", async () => {
    const db = await openPglite("memory://");
    try {
      await expect(db.exec(seed)).rejects.toThrow(/were supabase\/migrations applied/);
      await migrate(db);
      await expect(db.exec(seed)).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  });
});
