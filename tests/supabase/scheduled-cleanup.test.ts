/**
 * Scheduled cleanup (migrations 20261123100100 and 20261206500000), with the
 * real pg_cron (Debian's postgresql-15-cron) on the test server:
 *   - in pg_cron's own database (Supabase: the app's database is `postgres`)
 *     the migrations schedule exactly one cleanup job, however often they run;
 *   - in another database of the server, the migration names pg_cron's
 *     database and the cron.schedule_in_database(...) statement to run there;
 *     run there, pg_cron itself runs the command in this database and removes
 *     the expired sessions, and unscheduling stops it;
 *   - without pg_cron (PGlite) the migrations apply and say so with a NOTICE.
 * The procedure removes every dead row, one committed batch at a time.
 */
import fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freezeClock, now } from "~/lib/clock.server";
import { listMigrations, migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import { generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { connectToPgCron, pgCronAvailable, pgCronDatabase, unscheduleJobsIn, waitForRun } from "../support/pg-cron";
import { makeClient } from "../support/sessions";

const withPostgres = postgresAvailable();
const cronDatabase = withPostgres ? await pgCronDatabase() : null;
const withPgCron = withPostgres && pgCronAvailable(cronDatabase);

const COMMAND = "CALL app_private.run_session_cleanup()";
const EVERY_15_MINUTES = "*/15 * * * *";
/** What the migration asks for when pg_cron lives elsewhere: `select cron.schedule_in_database(...);`. */
const SCHEDULE_ELSEWHERE = /run once in database "?([\w-]+)"?: (select cron\.schedule_in_database\(.*\);)/;

/** Seven dead sessions, one a minute apart in 2020, and one live session. */
async function sessions(store: Store) {
  const client = await makeClient(store);
  const create = () =>
    store.createAppSession(
      { tokenHash: hashSessionToken(generateSessionToken()), clientId: client.id, ...sessionLifetimes(false) },
      now(),
    );
  const dead = [];
  for (let i = 0; i < 7; i++) {
    freezeClock(new Date(Date.UTC(2020, 0, 1, 9, i)));
    dead.push(await create());
  }
  freezeClock(new Date()); // the database's now(): cleanup runs on the server's clock
  const live = await create();
  return { client, dead, live };
}

async function remaining(sql: postgres.Sql, clientId: string) {
  return (await sql<{ id: string }[]>`select id from app_sessions where client_id = ${clientId} order by created_at`).map(
    (r) => r.id,
  );
}

describe.runIf(withPostgres)("scheduled cleanup on PostgreSQL", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  /** A scratch database migrated like `npm run db:migrate`, its NOTICEs collected. */
  async function migratedDatabase() {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    const sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
    cleanups.push(async () => {
      await sql.end();
      await scratch.drop();
    });
    const notices: string[] = [];
    const db = await openPostgres(scratch.url, { onNotice: (n) => notices.push(n.message) });
    cleanups.push(() => db.close());
    await migrate(db);
    return { sql, db, store: new Store(db), notices, name: new URL(scratch.url).pathname.slice(1) };
  }

  describe("the scheduled command", () => {
    it("commits batch by batch: a failure in a later batch keeps the earlier batches' work", async () => {
      const { sql, store } = await migratedDatabase();
      const { client, dead, live } = await sessions(store);
      // Batches of 3 take the dead sessions oldest first: [0,1,2] [3,4,5] [6].
      // Make the second batch fail on session 4.
      await sql.unsafe(`
        create function public.refuse_one_delete() returns trigger language plpgsql as $$
        begin
          if old.id = '${dead[4].id}' then raise exception 'refused by the test'; end if;
          return old;
        end $$;
        create trigger refuse_one_delete before delete on app_sessions for each row execute function public.refuse_one_delete();`);
      await expect(sql.unsafe("call app_private.run_session_cleanup(p_batch_size => 3)").simple()).rejects.toThrow(
        /refused by the test/,
      );
      expect(await remaining(sql, client.id)).toEqual([...dead.slice(3).map((s) => s.id), live.id]);

      await sql.unsafe("drop trigger refuse_one_delete on app_sessions; drop function public.refuse_one_delete()");
      await sql.unsafe("call app_private.run_session_cleanup(p_batch_size => 3)").simple();
      expect(await remaining(sql, client.id)).toEqual([live.id]);
    });

    it("stops after p_max_batches, leaving the rest to the next run", async () => {
      const { sql, store } = await migratedDatabase();
      const { client, dead, live } = await sessions(store);
      await sql.unsafe("call app_private.run_session_cleanup(p_batch_size => 3, p_max_batches => 2)").simple();
      expect(await remaining(sql, client.id)).toEqual([dead[6].id, live.id]);
    });
  });
});

describe.runIf(withPgCron)("scheduled cleanup with the real pg_cron", () => {
  let cron: postgres.Sql;
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    cron = await connectToPgCron(cronDatabase as string);
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  afterAll(async () => {
    await cron?.end();
  });

  /**
   * A scratch database migrated like `npm run db:migrate`, its NOTICEs
   * collected; before it is dropped, every pg_cron job pointing at it goes.
   */
  async function migratedDatabase() {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    const name = new URL(scratch.url).pathname.slice(1);
    const sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
    cleanups.push(async () => {
      await unscheduleJobsIn(cron, name);
      await sql.end();
      await scratch.drop();
    });
    const notices: string[] = [];
    const db = await openPostgres(scratch.url, { onNotice: (n) => notices.push(n.message) });
    cleanups.push(() => db.close());
    await migrate(db);
    return { sql, store: new Store(db), notices, name };
  }

  /** The statement the migration asks the operator to run in pg_cron's database. */
  function scheduleElsewhere(notices: string[]): { database: string; statement: string } {
    const match = notices.map((n) => SCHEDULE_ELSEWHERE.exec(n)).find((m) => m !== null);
    expect(match, notices.join("\n")).toBeTruthy();
    return { database: match![1], statement: match![2] };
  }

  it("in pg_cron's own database (Supabase's `postgres`), the migrations schedule exactly one cleanup job, however often they run", async () => {
    // The migrations go into pg_cron's database inside a transaction that is
    // rolled back, so the shared server keeps nothing of them.
    const notices: string[] = [];
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.pathname = `/${cronDatabase}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: (n) => notices.push(n.message) });
    const rollback = new Error("rollback");
    const seen: Record<string, unknown[]> = {};
    const cleanupJobs = (tx: postgres.TransactionSql) =>
      tx`select jobname, schedule, command, database, active from cron.job
          where command = ${COMMAND} and database = current_database()`;
    try {
      await sql
        .begin(async (tx) => {
          for (const m of listMigrations()) await tx.unsafe(fs.readFileSync(m.file, "utf8")).simple();
          seen.first = await cleanupJobs(tx);
          // A second job running the same command (an operator's, an older name) ...
          await tx`select cron.schedule('app-sessions-cleanup-old', '0 * * * *', ${COMMAND})`;
          // ... and the scheduling migrations applied again: still one job.
          for (const m of listMigrations().filter((m) => /schedule/.test(m.name))) {
            await tx.unsafe(fs.readFileSync(m.file, "utf8")).simple();
          }
          seen.again = await cleanupJobs(tx);
          throw rollback;
        })
        .catch((error: unknown) => {
          if (error !== rollback) throw error;
        });
    } finally {
      await sql.end();
    }
    const job = { jobname: "app-sessions-cleanup", schedule: EVERY_15_MINUTES, command: COMMAND, database: cronDatabase, active: true };
    expect(seen.first).toEqual([job]);
    expect(seen.again).toEqual([job]);
    expect(notices).toContainEqual(expect.stringMatching(/every 15 minutes \(job app-sessions-cleanup\)/));
    expect(notices).not.toContainEqual(expect.stringMatching(/not available/));
  });

  it("in another database, the migration gives the cron.schedule_in_database statement for pg_cron's; run there (twice), one job runs the cleanup here", async () => {
    const { sql, notices, name } = await migratedDatabase();
    const { database, statement } = scheduleElsewhere(notices);
    expect(database).toBe(cronDatabase);
    // The migration itself could not, and did not, touch pg_cron.
    expect(await cron`select jobid from cron.job where database = ${name}`).toEqual([]);
    const [here] = await sql`select to_regnamespace('cron') as cron`;
    expect(here.cron).toBeNull();

    await cron.unsafe(statement);
    await cron.unsafe(statement);
    expect(await cron`select jobname, schedule, command, active from cron.job where database = ${name}`).toEqual([
      { jobname: `app-sessions-cleanup:${name}`, schedule: EVERY_15_MINUTES, command: COMMAND, active: true },
    ]);
  });

  it("pg_cron runs the scheduled command in the app's database: expired sessions go, the live one stays; unscheduled, the job is gone", async () => {
    const { sql, store, notices, name } = await migratedDatabase();
    const { client, live } = await sessions(store);
    const { statement } = scheduleElsewhere(notices);
    const [{ jobid }] = await cron.unsafe<{ jobid: string }[]>(statement.replace(/;$/, " as jobid"));
    // Every minute instead of every 15 (pg_cron 1.4 has no schedules in
    // seconds), so pg_cron runs it within about a minute.
    await cron`select cron.alter_job(job_id => ${jobid}::bigint, schedule => '* * * * *')`;

    const run = await waitForRun(cron, jobid, 150_000);
    expect(run).toEqual({ status: "succeeded", return_message: "CALL" });
    expect(await remaining(sql, client.id)).toEqual([live.id]);

    const [{ unscheduled }] = await cron`select cron.unschedule(${`app-sessions-cleanup:${name}`}) as unscheduled`;
    expect(unscheduled).toBe(true);
    expect(await cron`select jobid from cron.job where database = ${name}`).toEqual([]);
    await cron`delete from cron.job_run_details where jobid = ${jobid}::bigint`;
  }, 180_000);
});

describe("scheduled cleanup on PGlite (no pg_cron)", () => {
  it("the migrations apply, schedule nothing, and say with a NOTICE how to schedule cleanup instead", async () => {
    const pg = new PGlite();
    const notices: string[] = [];
    try {
      for (const m of listMigrations()) {
        await pg.exec(fs.readFileSync(m.file, "utf8"), { onNotice: (n) => notices.push(n.message ?? "") });
      }
      const {
        rows: [row],
      } = await pg.query<{ cron: string | null; procedure: string | null }>(
        "select to_regnamespace('cron')::text as cron, to_regprocedure('app_private.run_session_cleanup(integer,integer,integer)')::text as procedure",
      );
      expect(row).toEqual({ cron: null, procedure: "app_private.run_session_cleanup(integer,integer,integer)" });
      expect(notices).toContainEqual(expect.stringMatching(/pg_cron is not available.*POST \/api\/sessions\/cleanup/));
      expect(notices).not.toContainEqual(expect.stringMatching(/schedule_in_database/));
    } finally {
      await pg.close();
    }
  });
});
