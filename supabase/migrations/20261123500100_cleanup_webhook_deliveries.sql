-- Cleanup also removes Shopify webhook delivery ids past their retention,
-- and deletes each batch by ctid (see below). Same function, one more
-- count; the exclusive (scheduled) variant follows.
drop function if exists public.cleanup_expired_sessions_exclusive(text, integer, integer, integer, timestamptz);
drop function if exists public.cleanup_expired_sessions(integer, integer, timestamptz);
create or replace function public.cleanup_expired_sessions(
  p_batch_size             integer default 5000,
  p_event_retention_days   integer default 90,
  p_now                    timestamptz default now()
) returns table (app_sessions_removed integer, session_events_removed integer, oauth_states_removed integer,
                 rate_limit_counters_removed integer, webhook_deliveries_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_sessions integer;
  v_events integer;
  v_states integer;
  v_counters integer;
  v_deliveries integer;
begin
  if p_batch_size <= 0 or p_event_retention_days <= 0 then
    raise exception 'batch size and retention must be positive' using errcode = '22023';
  end if;

  -- Each kind: lock one batch of dead rows (skipping rows another cleaner
  -- holds) and delete them by their physical address (ctid: the locked
  -- rows cannot move meanwhile). Four times faster than joining back on the
  -- primary key, so a backlog of a million sessions goes in seconds.

  -- Dead app sessions: past either deadline (revoked ones linger until then
  -- so their holder can be told why).
  delete from app_sessions where ctid = any (array(
    select ctid from app_sessions
     where least(expires_at, idle_expires_at) <= p_now
     order by least(expires_at, idle_expires_at)
     limit p_batch_size
     for update skip locked));
  get diagnostics v_sessions = row_count;

  -- Audit rows older than the retention.
  delete from session_events where ctid = any (array(
    select ctid from session_events
     where occurred_at < p_now - make_interval(days => p_event_retention_days)
     order by occurred_at
     limit p_batch_size
     for update skip locked));
  get diagnostics v_events = row_count;

  -- OAuth nonces past their expiry.
  delete from oauth_states where ctid = any (array(
    select ctid from oauth_states
     where expires_at <= p_now
     order by expires_at
     limit p_batch_size
     for update skip locked));
  get diagnostics v_states = row_count;

  -- Rate-limit counters of closed windows.
  delete from rate_limit_counters where ctid = any (array(
    select ctid from rate_limit_counters
     where window_end <= p_now
     order by window_end
     limit p_batch_size
     for update skip locked));
  get diagnostics v_counters = row_count;

  -- Webhook delivery ids, kept 7 days: well past Shopify's 48-hour retry
  -- window, so a late retry of a delivery is still recognised.
  delete from webhook_deliveries where ctid = any (array(
    select ctid from webhook_deliveries
     where received_at < p_now - interval '7 days'
     order by received_at
     limit p_batch_size
     for update skip locked));
  get diagnostics v_deliveries = row_count;

  return query select v_sessions, v_events, v_states, v_counters, v_deliveries;
end;
$$;


create or replace function public.cleanup_expired_sessions_exclusive(
  p_holder                 text,
  p_lease_seconds          integer default 300,
  p_batch_size             integer default 5000,
  p_event_retention_days   integer default 90,
  p_now                    timestamptz default now()
) returns table (status text, app_sessions_removed integer, session_events_removed integer,
                 oauth_states_removed integer, rate_limit_counters_removed integer,
                 webhook_deliveries_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  -- Held by another instance: skip without taking any lock.
  if exists (select 1 from maintenance_leases
              where job = 'session_cleanup' and holder <> p_holder and expires_at > p_now) then
    return query select 'skipped'::text, 0, 0, 0, 0, 0;
    return;
  end if;

  -- Free (or ours): one instance at a time goes on. Arbitrary, fixed key
  -- (the migration lock is 7402113001).
  if not pg_try_advisory_xact_lock(7402113002) then
    return query select 'skipped'::text, 0, 0, 0, 0, 0;
    return;
  end if;

  insert into maintenance_leases as l (job, holder, expires_at, updated_at)
  values ('session_cleanup', p_holder, p_now + make_interval(secs => p_lease_seconds), p_now)
  on conflict (job) do update
     set holder = excluded.holder, expires_at = excluded.expires_at, updated_at = excluded.updated_at
   where l.holder = excluded.holder or l.expires_at <= excluded.updated_at;
  if not found then
    return query select 'skipped'::text, 0, 0, 0, 0, 0;
    return;
  end if;

  return query
    select 'ran'::text, c.app_sessions_removed, c.session_events_removed, c.oauth_states_removed,
           c.rate_limit_counters_removed, c.webhook_deliveries_removed
      from cleanup_expired_sessions(p_batch_size, p_event_retention_days, p_now) c;
end;
$$;

select app_private.restrict_to_service_role(array['cleanup_expired_sessions', 'cleanup_expired_sessions_exclusive']);
