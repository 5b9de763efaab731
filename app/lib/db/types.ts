/**
 * The storage interface every backend implements.
 *
 * The session rules live in SQL functions (supabase/migrations), so a backend
 * only has to call a function by name with named arguments and hand back
 * its result: rows for set-returning functions, a value for scalar ones.
 * Everything typed (and validated) sits above this, in store.server.ts.
 */
import { UnstorableTextError } from "./errors.server";
import { unstorableTextPath } from "./storable-text";

export type DatabaseKind = "pglite" | "postgres" | "supabase";

export type FunctionArgs = Record<string, unknown>;

export interface Database {
  readonly kind: DatabaseKind;
  /** Call a set-returning SQL function in one round trip; resolves to its rows. */
  rows(fn: string, args: FunctionArgs): Promise<Record<string, unknown>[]>;
  /** Call a scalar SQL function in one round trip; resolves to its value. */
  scalar(fn: string, args: FunctionArgs): Promise<unknown>;
  /** A bare `select 1` round trip (health checks, benchmarks' floor). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a transaction can run. */
export interface SqlExecutor {
  /** One or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Backends that speak SQL directly (PGlite, Postgres) can also migrate and lock. */
export interface SqlDatabase extends Database, SqlExecutor {
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

export function isSqlDatabase(db: Database): db is SqlDatabase {
  return "transaction" in db && typeof (db as SqlDatabase).transaction === "function";
}

/** Refuse, before the call, an argument holding text PostgreSQL cannot store (see storable-text.ts). */
export function assertStorableArguments(fn: string, args: FunctionArgs): void {
  const path = unstorableTextPath(args);
  if (path !== null) throw new UnstorableTextError(fn, path);
}

/** Only our own function and argument names are ever interpolated into SQL. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * `select * from public.fn(p_a => $1, p_b => $2)`: named notation, so
 * defaults apply to anything left out, exactly as PostgREST calls it.
 */
export function functionCallSql(
  fn: string,
  args: FunctionArgs,
  shape: "rows" | "scalar",
): { text: string; values: unknown[] } {
  if (!IDENTIFIER.test(fn)) throw new Error(`invalid function name: ${fn}`);
  assertStorableArguments(fn, args);
  const names = Object.keys(args).filter((name) => args[name] !== undefined);
  const list = names
    .map((name, i) => {
      if (!IDENTIFIER.test(name)) throw new Error(`invalid argument name: ${name}`);
      return `${name} => $${i + 1}`;
    })
    .join(", ");
  const call = `public.${fn}(${list})`;
  return {
    text: shape === "rows" ? `select * from ${call}` : `select ${call} as result`,
    values: names.map((name) => args[name]),
  };
}
