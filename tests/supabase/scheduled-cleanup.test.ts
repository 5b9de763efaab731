/**
 * The scheduled-cleanup migration (20261123100100): where pg_cron exists
 * (Supabase) it schedules app_private.run_session_cleanup() every 15
 * minutes; where it does not (our PostgreSQL, PGlite) it says so with a
 * NOTICE and schedules nothing. The procedure removes every dead row, one
 * committed batch at a time.
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freezeClock, now } from "~/lib/clock.server";
import { migrate, migrationsDir } from "~/lib/db/migrate.server";
import { openPglite } from "~/lib/db/pglite.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import { generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions.server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { makeClient } from "../support/sessions";

const withPostgres = postgresAvailable();
const JOB = { jobname: "app-sessions-cleanup", schedule: "*/15 * * * *", command: "CALL app_private.run_session_cleanup()" };

/**
 * STAND-IN for pg_cron (test only): pg_cron cannot be installed here, so this
 * scratch database gets a `cron` schema whose `cron.schedule(job_name,
 * schedule, command)` records the job, upserting by name as pg_cron >= 1.3
 * does. It proves what the migration asks pg_cron for; it runs nothing.
 */
const PG_CRON_STANDIN = `
  create schema cron;
  create table cron.job (jobid bigserial primary key, jobname text unique, schedule text not null,
                         command text not null, username text not null default current_user);
  create function cron.schedule(job_name text, schedule text, command text) returns bigint
  language sql as $$
    insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
    on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command
    returning jobid
  $$;
`;

describe.runIf(withPostgres)("scheduled cleanup on PostgreSQL", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  /** A scratch database migrated like `npm run db:migrate`, its NOTICEs collected. */
  async function migratedDatabase(prepare?: string) {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    const sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
    cleanups.push(async () => {
      await sql.end();
      await scratch.drop();
    });
    if (prepare) await sql.unsafe(prepare);
    const notices: string[] = [];
    const db = await openPostgres(scratch.url, { onNotice: (n) => notices.push(n.message) });
    cleanups.push(() => db.close());
    await migrate(db);
    return { sql, db, store: new Store(db), notices };
  }

  it("without pg_cron, the migration says so with a NOTICE and schedules nothing", async () => {
    const { sql, notices } = await migratedDatabase();
    const [available] = await sql`select count(*)::int as n from pg_available_extensions where name = 'pg_cron'`;
    if (available.n > 0) {
      // This server has pg_cron packages: the NOTICE path is not the one this test is about.
      console.warn("pg_cron is installed on this PostgreSQL; the no-pg_cron path is covered on PGlite only");
      return;
    }
    expect(notices).toContainEqual(expect.stringMatching(/pg_cron is not available.*POST \/api\/sessions\/cleanup/));
    const [cron] = await sql`select to_regnamespace('cron') as schema`;
    expect(cron.schema).toBeNull();
  });

  it("with pg_cron, the migration schedules the batched cleanup every 15 minutes, once", async () => {
    const { sql, notices } = await migratedDatabase(PG_CRON_STANDIN);
    expect(await sql`select jobname, schedule, command from cron.job`).toEqual([JOB]);
    expect(notices).toContainEqual(expect.stringMatching(/every 15 minutes/));

    // Idempotent: applying both migrations' SQL again changes nothing.
    for (const file of ["20261123100000_lock_down_api_roles.sql", "20261123100100_schedule_session_cleanup.sql"]) {
      await sql.unsafe(fs.readFileSync(path.join(migrationsDir(), file), "utf8"));
    }
    expect(await sql`select jobname, schedule, command from cron.job`).toEqual([JOB]);
  });

  describe("the scheduled command", () => {
    /** Seven dead sessions, one a minute in the past, and one live session. */
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

    it("run as pg_cron runs it (one statement, outside a transaction) removes every dead session", async () => {
      const { sql, store } = await migratedDatabase(PG_CRON_STANDIN);
      const { client, live } = await sessions(store);
      const [job] = await sql<{ command: string }[]>`select command from cron.job`;
      await sql.unsafe(job.command).simple();
      expect(await remaining(sql, client.id)).toEqual([live.id]);
    });

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

describe("scheduled cleanup on PGlite", () => {
  let db: Awaited<ReturnType<typeof openPglite>>;
  beforeAll(async () => {
    db = await openPglite("memory://");
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("the migration applies and schedules nothing (no pg_cron in PGlite)", async () => {
    const [row] = await db.query<{ cron: string | null; procedure: string | null }>(
      "select to_regnamespace('cron')::text as cron, to_regprocedure('app_private.run_session_cleanup(integer,integer,integer)')::text as procedure",
    );
    expect(row).toEqual({ cron: null, procedure: "app_private.run_session_cleanup(integer,integer,integer)" });
  });
});
