/**
 * Embedded default: PGlite (PostgreSQL compiled to WASM) in this process,
 * data in a local folder, or in memory for tests (`memory://`).
 *
 * PGlite does not lock its data folder and two processes writing one folder
 * corrupt it, so we hold a lock file beside it for as long as it is open.
 */
import fs from "node:fs";
import path from "node:path";
// Type only: the WASM database (tens of MB) is loaded by openPglite, only when
// the settings select it, so a server on PostgreSQL or Supabase never loads it.
import type { PGlite } from "@electric-sql/pglite";
import { toDatabaseError } from "./errors.server";
import { functionCallSql, type FunctionArgs, type SqlDatabase, type SqlExecutor } from "./types";

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The PGlite data folder ${dir} is in use by process ${pid}. ` +
        "Stop that process, or point PGLITE_DIR at another folder.",
    );
    this.name = "DataDirLockedError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Take `<dir>.lock` (exclusive create); a lock left by a dead process is taken over. */
function acquireLock(dir: string): () => void {
  const lockFile = `${path.resolve(dir)}.lock`;
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => {
        try {
          if (fs.readFileSync(lockFile, "utf8") === String(process.pid)) fs.unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(dir, holder);
      }
      fs.rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${lockFile}`);
}

function executor(db: Pick<PGlite, "exec" | "query">): SqlExecutor {
  return {
    async exec(sql) {
      try {
        await db.exec(sql);
      } catch (error) {
        throw toDatabaseError(error);
      }
    },
    async query<T>(sql: string, params: unknown[] = []) {
      try {
        return (await db.query<T>(sql, params)).rows;
      } catch (error) {
        throw toDatabaseError(error);
      }
    },
  };
}

/**
 * PGlite plans every parameterised query anew (its API offers no named
 * statements), and for a session check that planning costs more than the
 * check itself. So a function call whose arguments are all plain values
 * goes through a statement PREPAREd once and EXECUTEd with literals.
 * "Plain" is strict: numbers, booleans, dates, null, and strings made only of
 * [A-Za-z0-9_.:+-] (hashes, ids, ISO times), which need no escaping at all;
 * anything else (JSON, free text) takes the parameterised path.
 */
const PLAIN_TEXT = /^[A-Za-z0-9_.:+-]{0,256}$/;

function plainLiteral(value: unknown): string | null {
  if (value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : `'${value.toISOString()}'`;
  if (typeof value === "string" && PLAIN_TEXT.test(value)) return `'${value}'`;
  return null;
}

/**
 * `instance`: wrap a PGlite the caller made (the benchmark times PGlite's own
 * `query` on the same instance as the floor); `dataDir` is then ignored.
 */
export async function openPglite(dataDir: string, options: { instance?: PGlite } = {}): Promise<SqlDatabase> {
  const inMemory = options.instance !== undefined || dataDir.startsWith("memory://");
  const release = inMemory ? () => {} : acquireLock(dataDir);
  let pg: PGlite;
  try {
    if (!inMemory) fs.mkdirSync(dataDir, { recursive: true });
    if (options.instance) {
      pg = options.instance;
    } else {
      const { PGlite } = await import("@electric-sql/pglite");
      pg = await PGlite.create(inMemory ? undefined : dataDir);
    }
  } catch (error) {
    release();
    throw error;
  }
  const run = executor(pg);
  /** Statement text -> the name it was PREPAREd under (null: it cannot be prepared). */
  const prepared = new Map<string, string | null>();

  async function call(fn: string, args: FunctionArgs, shape: "rows" | "scalar") {
    const { text, values } = functionCallSql(fn, args, shape);
    const literals = values.map(plainLiteral);
    if (literals.every((l): l is string => l !== null)) {
      let name = prepared.get(text);
      if (name === undefined) {
        name = `fn_${prepared.size + 1}`;
        try {
          await pg.exec(`prepare ${name} as ${text}`);
        } catch {
          name = null; // e.g. an argument whose type cannot be inferred: stay parameterised
        }
        prepared.set(text, name);
      }
      if (name) {
        try {
          // `execute fn_1()` is a syntax error: a function without arguments is executed without parentheses.
          const [result] = await pg.exec(literals.length > 0 ? `execute ${name}(${literals.join(", ")})` : `execute ${name}`);
          return (result?.rows ?? []) as Record<string, unknown>[];
        } catch (error) {
          throw toDatabaseError(error);
        }
      }
    }
    return run.query<Record<string, unknown>>(text, values);
  }

  return {
    kind: "pglite",
    ...run,
    rows: (fn, args) => call(fn, args, "rows"),
    scalar: async (fn, args) => (await call(fn, args, "scalar"))[0]?.result,
    async ping() {
      await run.query("select 1");
    },
    transaction: (fn) => pg.transaction((tx) => fn(executor(tx))),
    async close() {
      try {
        if (!pg.closed) await pg.close();
      } finally {
        release();
      }
    },
  };
}
