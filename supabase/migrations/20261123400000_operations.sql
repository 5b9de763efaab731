-- Operations: shared rate limits, the audit helpers the app calls, the
-- hijack-policy write, operator statistics, and cleanup that also removes
-- old rate-limit counters and can be run by one app instance at a time.
--
-- Like the session rules, each of these is ONE round trip on every backend
-- (PGlite, Postgres, supabase-js .rpc()).

-- ---------------------------------------------------------------------------
-- Audit trail helpers
-- ---------------------------------------------------------------------------

-- "Has this session's expiry already been recorded?" is asked by session id.
create index if not exists session_events_session_idx
  on public.session_events (session_id, event) where session_id is not null;

-- Record an event for a session unless that session already has one of that
-- kind (an expired cookie may be presented many times before it is cleared;
-- the trail says "expired" once). Returns true when a row was written.
create or replace function public.record_session_event_once(
  p_event      text,
  p_session_id uuid,
  p_client_id  uuid default null,
  p_user_id    text default null,
  p_ip_address text default null,
  p_user_agent text default null,
  p_detail     jsonb default '{}'::jsonb,
  p_now        timestamptz default now()
) returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  -- Two instances seeing the same expired session at once write one row.
  perform pg_advisory_xact_lock(hashtextextended(p_session_id::text || ':' || p_event, 0));
  insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
  select p_now, p_event, p_client_id, p_session_id, p_user_id, p_ip_address, left(p_user_agent, 512),
         coalesce(p_detail, '{}'::jsonb)
   where not exists (select 1 from session_events where session_id = p_session_id and event = p_event);
  return found;
end;
$$;

-- ---------------------------------------------------------------------------
-- Hijack policy (SESSION_BINDING): the app compares a valid session's user
-- agent and IP (as recorded when it was created) with the request's, in
-- memory, and calls this only when they differ.
--   p_revoke = false: record the event once per session and new value pair
--                     (a phone on a new network is reported once, not on every
--                     request); the session row is not touched;
--   p_revoke = true:  revoke the session (strict mode, user agent changed),
--                     with a suspicious and a revoked event.
-- Returns 'recorded', 'already_recorded', 'revoked', or 'not_live' (no such
-- live session: revoked or removed meanwhile).
-- ---------------------------------------------------------------------------
create or replace function public.note_session_binding_change(
  p_session_id uuid,
  p_event      text,              -- 'suspicious' (user agent) or 'ip_changed'
  p_ip_address text,
  p_user_agent text,
  p_revoke     boolean default false,
  p_detail     jsonb default '{}'::jsonb,
  p_now        timestamptz default now()
) returns text
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_user text;
begin
  if p_event not in ('suspicious', 'ip_changed') then
    raise exception 'unknown binding event %', p_event using errcode = '22023';
  end if;

  if p_revoke then
    update app_sessions
       set revoked_at = p_now, revoked_reason = 'suspicious', updated_at = p_now
     where id = p_session_id and revoked_at is null
    returning client_id, user_id into v_client, v_user;
    if not found then
      return 'not_live';
    end if;
    insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
    values (p_now, p_event, v_client, p_session_id, v_user, p_ip_address, left(p_user_agent, 512),
            coalesce(p_detail, '{}'::jsonb) || jsonb_build_object('revoked', true)),
           (p_now, 'revoked', v_client, p_session_id, v_user, p_ip_address, left(p_user_agent, 512),
            jsonb_build_object('reason', 'suspicious'));
    return 'revoked';
  end if;

  select client_id, user_id into v_client, v_user from app_sessions where id = p_session_id and revoked_at is null;
  if not found then
    return 'not_live';
  end if;
  -- Concurrent requests bringing the same change write one row.
  perform pg_advisory_xact_lock(hashtextextended(p_session_id::text || ':' || p_event, 0));
  insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
  select p_now, p_event, v_client, p_session_id, v_user, p_ip_address, left(p_user_agent, 512),
         coalesce(p_detail, '{}'::jsonb) || jsonb_build_object('revoked', false)
   where not exists (select 1 from session_events e
                      where e.session_id = p_session_id and e.event = p_event
                        and e.ip_address is not distinct from p_ip_address
                        and e.user_agent is not distinct from left(p_user_agent, 512));
  return case when found then 'recorded' else 'already_recorded' end;
end;
$$;

-- ---------------------------------------------------------------------------
-- Operator: revoke one session by its id (the CLI's `revoke --session`).
-- Returns null when no such session exists, 0 when it was already revoked.
-- ---------------------------------------------------------------------------
create or replace function public.revoke_app_session_by_id(
  p_session_id uuid,
  p_reason     text default 'revoked',
  p_now        timestamptz default now()
) returns integer
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
begin
  select client_id into v_client from app_sessions where id = p_session_id;
  if not found then
    return null;
  end if;
  return revoke_app_sessions(v_client, null, p_session_id, null, p_reason, p_now);
end;
$$;

-- Sessions by platform: live ones (the metrics gauge), and ended ones that
-- cleanup has not removed yet. One pass over app_sessions.
create or replace function public.session_stats(p_now timestamptz default now())
returns table (platform text, clients_installed integer, active_sessions integer, ended_sessions integer)
language sql stable
set search_path = public, pg_temp
as $$
  with platforms(platform) as (values ('shopify'), ('commerce7')),
  sessions as (
    select c.platform,
           count(*) filter (where s.revoked_at is null and p_now < s.expires_at and p_now < s.idle_expires_at) as active,
           count(*) filter (where not (s.revoked_at is null and p_now < s.expires_at and p_now < s.idle_expires_at)) as ended
      from app_sessions s join clients c on c.id = s.client_id
     group by c.platform
  ),
  installed as (
    select c.platform, count(*) as n from clients c where c.install_state = 'installed' group by c.platform
  )
  select p.platform,
         coalesce(i.n, 0)::integer,
         coalesce(s.active, 0)::integer,
         coalesce(s.ended, 0)::integer
    from platforms p
    left join sessions s on s.platform = p.platform
    left join installed i on i.platform = p.platform
   order by p.platform;
$$;

-- ---------------------------------------------------------------------------
-- Rate limits shared by every app instance: fixed windows, one counter row
-- per (bucket, key, window). A fixed window lets a client spend up to twice
-- its limit across a window boundary; in exchange each check is one upsert
-- and Retry-After is exact.
-- ---------------------------------------------------------------------------
create table if not exists public.rate_limit_counters (
  bucket       text not null check (length(bucket) between 1 and 64),   -- e.g. 'entry:ip'
  key          text not null check (length(key) between 1 and 300),     -- an IP, a shop domain, a tenantId
  window_start timestamptz not null,
  window_end   timestamptz not null,
  hits         integer not null,
  constraint rate_limit_counters_pkey primary key (bucket, key, window_start)
);
create index if not exists rate_limit_counters_window_end_idx on public.rate_limit_counters (window_end);
alter table public.rate_limit_counters enable row level security;

-- Count one hit against several limits at once (per IP and per tenant) and
-- say, for each, whether it is still within its limit. The arrays are
-- parallel: p_buckets[i], p_keys[i], p_limits[i], p_window_seconds[i].
-- The upsert is atomic: concurrent hits from any instance are all counted.
create or replace function public.hit_rate_limits(
  p_buckets        text[],
  p_keys           text[],
  p_limits         integer[],
  p_window_seconds integer[],
  p_now            timestamptz default now()
) returns table (bucket text, hits integer, max_hits integer, allowed boolean, retry_after_seconds integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
#variable_conflict use_column
declare
  i integer;
  v_start timestamptz;
  v_end timestamptz;
  v_hits integer;
begin
  if coalesce(array_length(p_buckets, 1), 0) <> coalesce(array_length(p_keys, 1), 0)
     or coalesce(array_length(p_buckets, 1), 0) <> coalesce(array_length(p_limits, 1), 0)
     or coalesce(array_length(p_buckets, 1), 0) <> coalesce(array_length(p_window_seconds, 1), 0) then
    raise exception 'hit_rate_limits: the arrays must have the same length' using errcode = '22023';
  end if;

  for i in 1 .. coalesce(array_length(p_buckets, 1), 0) loop
    if p_window_seconds[i] <= 0 or p_limits[i] <= 0 then
      raise exception 'hit_rate_limits: limits and windows must be positive' using errcode = '22023';
    end if;
    v_start := to_timestamp(floor(extract(epoch from p_now) / p_window_seconds[i]) * p_window_seconds[i]);
    v_end := v_start + make_interval(secs => p_window_seconds[i]);

    insert into rate_limit_counters as c (bucket, key, window_start, window_end, hits)
    values (p_buckets[i], left(p_keys[i], 300), v_start, v_end, 1)
    on conflict on constraint rate_limit_counters_pkey do update set hits = c.hits + 1
    returning c.hits into v_hits;

    bucket := p_buckets[i];
    hits := v_hits;
    max_hits := p_limits[i];
    allowed := v_hits <= p_limits[i];
    retry_after_seconds := greatest(1, ceil(extract(epoch from (v_end - p_now)))::integer);
    return next;
  end loop;
end;
$$;

-- ---------------------------------------------------------------------------
-- Cleanup: the same batched function as before, now also removing rate-limit
-- counters whose window has closed. Result columns are a superset of the
-- previous version's.
-- ---------------------------------------------------------------------------
drop function if exists public.cleanup_expired_sessions(integer, integer, timestamptz);
create or replace function public.cleanup_expired_sessions(
  p_batch_size             integer default 5000,
  p_event_retention_days   integer default 90,
  p_now                    timestamptz default now()
) returns table (app_sessions_removed integer, session_events_removed integer, oauth_states_removed integer,
                 rate_limit_counters_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_sessions integer;
  v_events integer;
  v_states integer;
  v_counters integer;
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

  return query select v_sessions, v_events, v_states, v_counters;
end;
$$;

-- ---------------------------------------------------------------------------
-- Scheduled cleanup run by the app itself (SESSION_CLEANUP_CRON) on several
-- instances: at each tick every instance calls this, and one of them cleans.
--
--   1. a lease row (maintenance_leases) names the instance that cleans; it is
--      renewed by each of its batches and left to expire, so the others,
--      whose ticks fire at the same moment or a little late, read it and
--      skip without waiting for anything;
--   2. when the lease is free (first run, or its holder stopped), instances
--      race for it: pg_try_advisory_xact_lock lets one through and the
--      others skip at once instead of queueing behind its batch.
-- Both are transaction-scoped, so this works through a connection pooler and
-- through supabase-js .rpc() alike (a session-level advisory lock would stay
-- behind on a pooled connection). Returns 'ran' with one batch's counts, or
-- 'skipped' with zeros.
-- ---------------------------------------------------------------------------
create table if not exists public.maintenance_leases (
  job        text primary key,
  holder     text not null,
  expires_at timestamptz not null,
  updated_at timestamptz not null
);
alter table public.maintenance_leases enable row level security;

create or replace function public.cleanup_expired_sessions_exclusive(
  p_holder                 text,
  p_lease_seconds          integer default 300,
  p_batch_size             integer default 5000,
  p_event_retention_days   integer default 90,
  p_now                    timestamptz default now()
) returns table (status text, app_sessions_removed integer, session_events_removed integer,
                 oauth_states_removed integer, rate_limit_counters_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  -- Held by another instance: skip without taking any lock.
  if exists (select 1 from maintenance_leases
              where job = 'session_cleanup' and holder <> p_holder and expires_at > p_now) then
    return query select 'skipped'::text, 0, 0, 0, 0;
    return;
  end if;

  -- Free (or ours): one instance at a time goes on. Arbitrary, fixed key
  -- (the migration lock is 7402113001).
  if not pg_try_advisory_xact_lock(7402113002) then
    return query select 'skipped'::text, 0, 0, 0, 0;
    return;
  end if;

  insert into maintenance_leases as l (job, holder, expires_at, updated_at)
  values ('session_cleanup', p_holder, p_now + make_interval(secs => p_lease_seconds), p_now)
  on conflict (job) do update
     set holder = excluded.holder, expires_at = excluded.expires_at, updated_at = excluded.updated_at
   where l.holder = excluded.holder or l.expires_at <= excluded.updated_at;
  if not found then
    return query select 'skipped'::text, 0, 0, 0, 0;
    return;
  end if;

  return query
    select 'ran'::text, c.app_sessions_removed, c.session_events_removed, c.oauth_states_removed,
           c.rate_limit_counters_removed
      from cleanup_expired_sessions(p_batch_size, p_event_retention_days, p_now) c;
end;
$$;

-- The new tables answer to service_role only, like the session tables
-- (app_private.restrict_tables_to_service_role, 20261123100000).
select app_private.restrict_tables_to_service_role(array['rate_limit_counters', 'maintenance_leases']);

select app_private.restrict_to_service_role(array[
  'record_session_event_once', 'note_session_binding_change', 'revoke_app_session_by_id', 'session_stats',
  'hit_rate_limits', 'cleanup_expired_sessions', 'cleanup_expired_sessions_exclusive'
]);
