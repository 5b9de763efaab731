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
  const timeoutMs = options.timeoutMs ?? 2000;
  const prepare = options.prepare ?? !/:6543\b/.test(url);
  const create = () =>
    postgres(url, {
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

  let sql = create();
  let lastSuccessAt = Date.now();
  let recycledAt = 0;

  /**
   * A call that timed out may sit on a connection whose peer vanished (a
   * network partition leaves sockets half-open for minutes, and the pool would
   * keep handing them out). When calls time out and NOTHING has succeeded for
   * two timeouts, the pool is presumed dead and replaced: new calls get fresh
   * connections as soon as the database answers again. A merely busy pool
   * keeps completing calls, so load alone never triggers this.
   */
  function onTimeout() {
    const quiet = Date.now() - Math.max(lastSuccessAt, recycledAt);
    if (quiet < 2 * timeoutMs) return;
    recycledAt = Date.now();
    const old = sql;
    sql = create();
    old.end({ timeout: 0 }).catch(() => {});
    logger.warn({ timeoutMs }, "database unresponsive: connection pool replaced");
  }

  function executor(q: () => postgres.Sql | postgres.TransactionSql, bounded: boolean): SqlExecutor {
    return {
      async exec(text) {
        try {
          await q().unsafe(text);
        } catch (error) {
          throw toDatabaseError(error);
        }
      },
      async query<T>(text: string, params: unknown[] = []) {
        const pending = q().unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
        try {
          const result = bounded ? await withTimeout(pending, timeoutMs, onTimeout) : await pending;
          lastSuccessAt = Date.now();
          return result as unknown as T[];
        } catch (error) {
          throw toDatabaseError(error);
        }
      },
    };
  }

  const run = executor(() => sql, true);
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
        // Migrations and maintenance run long: no per-statement bound inside.
        return (await sql.begin((tx) => fn(executor(() => tx, false)))) as Awaited<ReturnType<typeof fn>>;
      } catch (error) {
        throw toDatabaseError(error);
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
