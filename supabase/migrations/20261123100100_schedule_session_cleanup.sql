-- Scheduled cleanup inside the database, where pg_cron is available.
--
-- On Supabase (pg_cron ships with every project) this enables the extension
-- and schedules app_private.run_session_cleanup() every 15 minutes as the
-- job 'app-sessions-cleanup'. Elsewhere (plain PostgreSQL without pg_cron,
-- PGlite) it only says so with a NOTICE: schedule POST /api/sessions/cleanup
-- instead (docs/SUPABASE.md, "Cleanup").
--
-- Safe to run again: the procedure is replaced, the extension created only
-- if missing, and pg_cron (>= 1.3) updates a job scheduled under an existing
-- name instead of adding a second one. Runs inside the migration's
-- transaction: nothing here commits.

-- Remove every dead row, one batch per transaction, so cleanup never holds
-- many row locks or one long transaction however large the backlog. Called
-- by pg_cron as a single `CALL` statement: PostgreSQL allows COMMIT inside a
-- procedure only when the CALL is not inside a transaction block (pg_cron
-- runs a one-statement command outside one; citusdata/pg_cron#85).
create or replace procedure app_private.run_session_cleanup(
  p_batch_size           integer default 5000,
  p_event_retention_days integer default 90,
  p_max_batches          integer default 1000
)
language plpgsql
-- No `SET search_path` clause: a procedure with one may not COMMIT. Every
-- name below is schema-qualified instead.
as $$
declare
  v_batch   record;
  v_largest bigint;
  v_removed bigint := 0;
  v_batches integer := 0;
begin
  loop
    select * into v_batch
      from public.cleanup_expired_sessions(p_batch_size => p_batch_size,
                                           p_event_retention_days => p_event_retention_days,
                                           p_now => pg_catalog.now());
    -- The function reports one count per kind of row it removes; read them
    -- all, whatever their names, so a kind added later is waited for too.
    select coalesce(max(value::bigint), 0), v_removed + coalesce(sum(value::bigint), 0)
      into v_largest, v_removed
      from pg_catalog.jsonb_each_text(pg_catalog.to_jsonb(v_batch));
    v_batches := v_batches + 1;
    commit;
    exit when v_largest < p_batch_size or v_batches >= p_max_batches;
  end loop;
  raise log 'app session cleanup: % rows removed in % batch(es)', v_removed, v_batches;
end;
$$;

revoke all on procedure app_private.run_session_cleanup(integer, integer, integer) from public;
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on procedure app_private.run_session_cleanup(integer, integer, integer) from anon;
  end if;
  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on procedure app_private.run_session_cleanup(integer, integer, integer) from authenticated;
  end if;
end;
$$;

do $$
begin
  if to_regprocedure('cron.schedule(text,text,text)') is null
     and exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    -- Installed on this server but maybe not loadable here (it must be in
    -- shared_preload_libraries, and lives in one database per server): try,
    -- in a subtransaction, and fall through to the NOTICE if it refuses.
    begin
      create extension if not exists pg_cron;
    exception when others then
      raise notice 'pg_cron is installed on this server but could not be enabled in this database: %', sqlerrm;
    end;
  end if;

  if to_regprocedure('cron.schedule(text,text,text)') is null then
    raise notice 'pg_cron is not available: the database will not remove expired sessions on a schedule. Call POST /api/sessions/cleanup with CRON_SECRET from a scheduler instead (docs/SUPABASE.md, "Cleanup").';
    return;
  end if;

  perform cron.schedule('app-sessions-cleanup', '*/15 * * * *', 'CALL app_private.run_session_cleanup()');
  raise notice 'pg_cron: expired sessions are removed every 15 minutes (job app-sessions-cleanup)';
end;
$$;
