/**
 * pg_cron on the test server, for real: Debian's postgresql-15-cron, loaded
 * through shared_preload_libraries, its jobs kept in ONE database
 * (cron.database_name, `postgres` as on Supabase). Scratch databases are
 * other databases, so their jobs are made there with
 * cron.schedule_in_database(...) and must be unscheduled before the scratch
 * database is dropped: a job left pointing at a dropped database fails every
 * run, forever. Job names carry the scratch database's (unique) name, so
 * parallel runs never touch each other's jobs.
 */
import postgres from "postgres";
import { TEST_DATABASE_URL } from "./databases";
import { requireOrSkip } from "./require";

export const PG_CRON_HOW_TO =
  "pg_cron is not loaded by the PostgreSQL at TEST_DATABASE_URL: install postgresql-15-cron and add " +
  "shared_preload_libraries = 'pg_cron' and cron.database_name = 'postgres' (docs/SUPABASE.md, \"pg_cron on this machine\"), " +
  "or run `bash .ci/run`, which does both";

/** The database pg_cron keeps its jobs in, or null when the server does not load pg_cron. */
export async function pgCronDatabase(baseUrl = TEST_DATABASE_URL): Promise<string | null> {
  if (!baseUrl) return null;
  const sql = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ libraries: string; database: string | null }[]>`
      select current_setting('shared_preload_libraries') as libraries,
             current_setting('cron.database_name', true) as database`;
    return /(^|[\s,])pg_cron($|[\s,])/.test(row.libraries) ? row.database : null;
  } catch {
    return null;
  } finally {
    await sql.end();
  }
}

/** True when pg_cron runs on the test server; otherwise skips (fails under REQUIRE_ALL_SUITES=1). */
export function pgCronAvailable(database: string | null): boolean {
  return requireOrSkip("pg_cron", database !== null, PG_CRON_HOW_TO);
}

/**
 * A connection to pg_cron's database, the extension enabled there (as
 * Supabase enables it), and jobs that earlier, crashed runs left pointing at
 * scratch databases that no longer exist unscheduled.
 */
export async function connectToPgCron(database: string, baseUrl = TEST_DATABASE_URL as string): Promise<postgres.Sql> {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  try {
    await sql`create extension if not exists pg_cron with schema pg_catalog`;
  } catch (error) {
    // Another test process enabled it at the same moment.
    const code = (error as { code?: string }).code;
    if (code !== "23505" && code !== "42710") throw error;
  }
  await sql`
    select cron.unschedule(j.jobid) from cron.job j
     where j.database like 'test\\_%' and not exists (select 1 from pg_database d where d.datname = j.database)`;
  return sql;
}

/**
 * Unschedule every job that runs in `database` (a scratch database about to
 * be dropped), and forget their runs: pg_cron keeps its history forever.
 */
export async function unscheduleJobsIn(cron: postgres.Sql, database: string): Promise<void> {
  await cron`delete from cron.job_run_details where jobid in (select jobid from cron.job where database = ${database})`;
  await cron`select cron.unschedule(jobid) from cron.job where database = ${database}`;
}

/**
 * Wait (bounded) until pg_cron has recorded a finished run of `jobid`;
 * resolves to that run's status and message.
 */
export async function waitForRun(
  cron: postgres.Sql,
  jobid: string | number,
  timeoutMs: number,
): Promise<{ status: string; return_message: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [run] = await cron<{ status: string; return_message: string }[]>`
      select status, return_message from cron.job_run_details
       where jobid = ${jobid} and status in ('succeeded', 'failed')
       order by runid limit 1`;
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`pg_cron recorded no finished run of job ${jobid} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
