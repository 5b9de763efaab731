-- Cleanup also removes Shopify webhook delivery ids past their retention.
-- Same function, one more count; the exclusive (scheduled) variant follows.
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

  -- Dead app sessions: past either deadline (revoked ones linger until then
  -- so their holder can be told why).
  with doomed as (
    select id from app_sessions
     where least(expires_at, idle_expires_at) <= p_now
     order by least(expires_at, idle_expires_at)
     limit p_batch_size
     for update skip locked
  ), gone as (
    delete from app_sessions a using doomed d where a.id = d.id returning 1
  )
  select count(*) into v_sessions from gone;

  -- Audit rows older than the retention.
  with doomed as (
    select id from session_events
     where occurred_at < p_now - make_interval(days => p_event_retention_days)
     order by occurred_at
     limit p_batch_size
     for update skip locked
  ), gone as (
    delete from session_events e using doomed d where e.id = d.id returning 1
  )
  select count(*) into v_events from gone;

  -- OAuth nonces past their expiry.
  with doomed as (
    select state_hash from oauth_states
     where expires_at <= p_now
     order by expires_at
     limit p_batch_size
     for update skip locked
  ), gone as (
    delete from oauth_states o using doomed d where o.state_hash = d.state_hash returning 1
  )
  select count(*) into v_states from gone;

  -- Rate-limit counters of closed windows.
  with doomed as (
    select bucket, key, window_start from rate_limit_counters
     where window_end <= p_now
     order by window_end
     limit p_batch_size
     for update skip locked
  ), gone as (
    delete from rate_limit_counters r using doomed d
     where r.bucket = d.bucket and r.key = d.key and r.window_start = d.window_start
    returning 1
  )
  select count(*) into v_counters from gone;

  -- Webhook delivery ids, kept 7 days: well past Shopify's 48-hour retry
  -- window, so a late retry of a delivery is still recognised.
  with doomed as (
    select platform, webhook_id from webhook_deliveries
     where received_at < p_now - interval '7 days'
     order by received_at
     limit p_batch_size
     for update skip locked
  ), gone as (
    delete from webhook_deliveries w using doomed d
     where w.platform = d.platform and w.webhook_id = d.webhook_id
    returning 1
  )
  select count(*) into v_deliveries from gone;

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
