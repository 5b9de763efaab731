/**
 * The project's own commands, run as a developer runs them: `npm run
 * db:migrate` (scripts/db-migrate.ts), the Supabase CLI from node_modules
 * (the `supabase` devDependency) and Debian's `pg_prove`. Each resolves to
 * its exit code and output; none throws on a non-zero exit.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { listMigrations, type Migration } from "~/lib/db/migrate.server";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const SUPABASE_CLI = path.join(ROOT, "node_modules", ".bin", "supabase");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string | undefined>, cwd = ROOT): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: env as NodeJS.ProcessEnv, encoding: "utf8", maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `npm run db:migrate` (its script, through tsx) with only the given settings. */
export function dbMigrate(env: Record<string, string>): Promise<CommandResult> {
  return run(
    process.execPath,
    [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/db-migrate.ts"],
    { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", LOG_LEVEL: "silent", ...env },
  );
}

/**
 * The Supabase CLI on a project directory (default: this repository), never
 * prompting (`--yes`) and in its plain, non-agent output mode.
 */
export function supabaseCli(args: string[], workdir = ROOT): Promise<CommandResult> {
  return run(SUPABASE_CLI, [...args, "--workdir", workdir, "--yes", "--agent", "no"], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
  });
}

/** The CLI wants `sslmode=disable` spelled out for a server without TLS (ours, on loopback). */
export function cliDbUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set("sslmode", "disable");
  return u.toString();
}

export function supabaseCliAvailable(): boolean {
  return fs.existsSync(SUPABASE_CLI);
}

/**
 * A throwaway Supabase project directory holding config.toml and only the
 * first `count` migrations: a checkout from before the later ones existed.
 */
export function projectWithFirstMigrations(count: number): { workdir: string; migrations: Migration[]; remove(): void } {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "supabase-project-"));
  const dir = path.join(workdir, "supabase", "migrations");
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "supabase", "config.toml"), path.join(workdir, "supabase", "config.toml"));
  const migrations = listMigrations().slice(0, count);
  for (const m of migrations) fs.copyFileSync(m.file, path.join(dir, path.basename(m.file)));
  return { workdir, migrations, remove: () => fs.rmSync(workdir, { recursive: true, force: true }) };
}

/** Debian's pg_prove (libtap-parser-sourcehandler-pgtap-perl), or null. */
export function pgProvePath(): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "pg_prove");
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** pg_prove on SQL test files against one database (a libpq URL). */
export function pgProve(databaseUrl: string, files: string[]): Promise<CommandResult> {
  const u = new URL(databaseUrl);
  return run(
    pgProvePath() ?? "pg_prove",
    ["--verbose", "--host", u.hostname, "--port", u.port || "5432", "--username", decodeURIComponent(u.username), "--dbname", u.pathname.slice(1), ...files],
    { PATH: process.env.PATH, HOME: process.env.HOME, PGPASSWORD: decodeURIComponent(u.password) || undefined },
  );
}
