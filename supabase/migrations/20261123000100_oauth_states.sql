-- One-time OAuth state nonces (Shopify's code grant). The browser holds the
-- nonce in a short-lived signed cookie; the database records it so a callback
-- can be accepted once only: a replayed callback finds it consumed.

create table if not exists public.oauth_states (
  state_hash  bytea primary key check (length(state_hash) = 32), -- sha256 of the nonce
  platform    text not null check (platform in ('shopify', 'commerce7')),
  shop        text not null,
  created_at  timestamptz not null,
  expires_at  timestamptz not null,
  consumed_at timestamptz
);
create index if not exists oauth_states_expires_at_idx on public.oauth_states (expires_at);
alter table public.oauth_states enable row level security;

create or replace function public.create_oauth_state(
  p_state_hash  text,
  p_platform    text,
  p_shop        text,
  p_ttl_seconds integer default 600,
  p_now         timestamptz default now()
) returns void
language sql volatile
set search_path = public, pg_temp
as $$
  insert into oauth_states (state_hash, platform, shop, created_at, expires_at)
  values (decode(p_state_hash, 'hex'), p_platform, p_shop, p_now, p_now + make_interval(secs => p_ttl_seconds));
$$;

-- true exactly once for a live nonce issued for this platform and shop.
create or replace function public.consume_oauth_state(
  p_state_hash text,
  p_platform   text,
  p_shop       text,
  p_now        timestamptz default now()
) returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  update oauth_states set consumed_at = p_now
   where state_hash = decode(p_state_hash, 'hex')
     and platform = p_platform and shop = p_shop
     and consumed_at is null and expires_at > p_now;
  return found;
end;
$$;

-- Cleanup now also removes OAuth nonces that are past their expiry.
drop function if exists public.cleanup_expired_sessions(integer, integer, timestamptz);
create or replace function public.cleanup_expired_sessions(
  p_batch_size             integer default 5000,
  p_event_retention_days   integer default 90,
  p_now                    timestamptz default now()
) returns table (app_sessions_removed integer, session_events_removed integer, oauth_states_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_sessions integer;
  v_events integer;
  v_states integer;
begin
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

  return query select v_sessions, v_events, v_states;
end;
$$;

select app_private.restrict_to_service_role(array['create_oauth_state', 'consume_oauth_state', 'cleanup_expired_sessions']);
