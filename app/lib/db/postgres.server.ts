/**
 * Direct Postgres (local server, or Supabase's connection string) through
 * the `postgres` package with a connection pool.
 */
import postgres from "postgres";
import { logger } from "~/lib/log.server";
import { toDatabaseError, withTimeout } from "./errors.server";
import { functionCallSql, type FunctionArgs, type SqlDatabase, type SqlExecutor } from "./types";

export interface PostgresOptions {
  max?: number;
  /** Bound on every call; a dead connection answers "unavailable" within this. */
  timeoutMs?: number;
  /** Transaction-mode poolers (PgBouncer, Supavisor on :6543) cannot keep prepared statements. */
  prepare?: boolean;
  /** Server NOTICEs (a migration saying what it skipped); logged at debug level when absent. */
  onNotice?: (notice: { message: string; code?: string }) => void;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<SqlDatabase> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const prepare = options.prepare ?? !/:6543\b/.test(url);
  const sql = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    prepare,
    onnotice: (notice) =>
      options.onNotice
        ? options.onNotice({ message: notice.message, code: notice.code })
        : logger.debug({ notice: notice.message }, "postgres notice"),
    connection: { application_name: "embedded-sessions" },
  });

  function executor(q: postgres.Sql | postgres.TransactionSql): SqlExecutor {
    return {
      async exec(text) {
        try {
          await q.unsafe(text);
        } catch (error) {
          throw toDatabaseError(error);
        }
      },
      async query<T>(text: string, params: unknown[] = []) {
        const pending = q.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
        try {
          return (await withTimeout(pending, timeoutMs, () => pending.cancel())) as unknown as T[];
        } catch (error) {
          throw toDatabaseError(error);
        }
      },
    };
  }

  const run = executor(sql);
  async function call(fn: string, args: FunctionArgs, shape: "rows" | "scalar") {
    const { text, values } = functionCallSql(fn, args, shape);
    return run.query<Record<string, unknown>>(text, values);
  }

  return {
    kind: "postgres",
    ...run,
    rows: (fn, args) => call(fn, args, "rows"),
    scalar: async (fn, args) => (await call(fn, args, "scalar"))[0]?.result,
    async ping() {
      await run.query("select 1");
    },
    async transaction(fn) {
      try {
        return (await sql.begin((tx) => fn(executor(tx)))) as Awaited<ReturnType<typeof fn>>;
      } catch (error) {
        throw toDatabaseError(error);
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
