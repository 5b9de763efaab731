-- Schedule the session cleanup where pg_cron actually runs.
--
-- pg_cron keeps every job of a server in ONE database (the setting
-- cron.database_name: `postgres` by default and on Supabase) and runs each job
-- in the database the job names. 20261123100100 only looked for pg_cron in
-- this database, so on a server whose pg_cron lives in another database it
-- said "not available" and left it there. This migration decides by where
-- pg_cron runs:
--   1. here (Supabase: the app's tables are in `postgres`, pg_cron too):
--      exactly one job, 'app-sessions-cleanup', every 15 minutes, enabling
--      the extension first the way Supabase's docs do if it is not yet
--      (supabase.com/docs/guides/cron/install: `with schema pg_catalog`);
--   2. in another database of this server: a session cannot write into
--      another database, so the NOTICE names that database and gives the one
--      statement to run there, cron.schedule_in_database(...), the job named
--      after this database so that several app databases can share a server;
--   3. not at all: nothing more to say (20261123100100 already raised its
--      NOTICE: schedule POST /api/sessions/cleanup instead).
-- Safe to run again: pg_cron upserts a job by name (and user), and any other
-- job of this database running the same command is unscheduled, so there is
-- one. Runs inside the migration's transaction: nothing here commits.

do $$
declare
  v_schedule constant text := '*/15 * * * *';
  v_command  constant text := 'CALL app_private.run_session_cleanup()';
  v_jobname  constant text := 'app-sessions-cleanup';
  -- Defined in every session once pg_cron is in shared_preload_libraries.
  v_cron_db  text := current_setting('cron.database_name', true);
begin
  if to_regprocedure('cron.schedule(text,text,text)') is null and v_cron_db = current_database() then
    begin
      create extension if not exists pg_cron with schema pg_catalog;
    exception when others then
      raise notice 'pg_cron runs for this database but could not be enabled here: % (enable it as a superuser, then run this migration again)', sqlerrm;
      return;
    end;
  end if;

  if to_regprocedure('cron.schedule(text,text,text)') is not null then
    perform cron.schedule(v_jobname, v_schedule, v_command);
    perform cron.unschedule(j.jobid)
       from cron.job j
      where j.command = v_command and j.database = current_database()
        and j.jobname is distinct from v_jobname;
    raise notice 'pg_cron: expired sessions are removed every 15 minutes (job %)', v_jobname;
  elsif v_cron_db is not null and v_cron_db <> current_database() then
    raise notice '%', format(
      'pg_cron runs in database %I on this server, not in %I, and a migration cannot schedule there. '
      'To remove expired sessions every 15 minutes, run once in database %I: '
      'select cron.schedule_in_database(%L, %L, %L, %L);',
      v_cron_db, current_database(), v_cron_db,
      v_jobname || ':' || current_database(), v_schedule, v_command, current_database());
  end if;
end;
$$;
