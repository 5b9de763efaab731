-- Sessions schema: clients, platform sessions, app sessions, audit events.
--
-- This file is the single source of truth for the session rules. Every
-- backend (PGlite, direct Postgres, supabase-js via PostgREST) calls the
-- functions below, so the rules are applied identically and each session
-- operation is ONE round trip. Keep it to SQL that PostgreSQL 15 accepts.
--
-- Time: every function takes p_now (default now()). The app passes its own
-- clock so tests control time without sleeping; in production that is the
-- server's wall clock.

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- One row per installed Shopify shop or Commerce7 tenant.
create table if not exists public.clients (
  id                uuid primary key default gen_random_uuid(),
  platform          text not null check (platform in ('shopify', 'commerce7')),
  -- shop domain (example.myshopify.com) or Commerce7 tenantId
  external_id       text not null check (length(external_id) between 1 and 255),
  organization_name text check (organization_name is null or length(organization_name) <= 255),
  install_state     text not null default 'installed'
                      check (install_state in ('installed', 'uninstalled')),
  installed_at      timestamptz,
  uninstalled_at    timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint clients_platform_external_id_key unique (platform, external_id)
);

-- How the app calls a platform's API. Tokens are encrypted by the app
-- (AES-256-GCM, "<key id>:<iv>:<ciphertext+tag>") before they reach this table.
create table if not exists public.platform_sessions (
  id                       text primary key,            -- e.g. offline_<shop>
  client_id                uuid not null references public.clients (id) on delete cascade,
  platform                 text not null check (platform in ('shopify', 'commerce7')),
  shop                     text not null,               -- shop domain or tenantId
  is_online                boolean not null default false,
  state                    text,
  scope                    text,
  expires_at               timestamptz,
  access_token_enc         text,
  refresh_token_enc        text,
  refresh_token_expires_at timestamptz,
  user_id                  text,
  online_access_info       jsonb,
  data                     jsonb not null default '{}'::jsonb,
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now()
);
create index if not exists platform_sessions_client_id_idx on public.platform_sessions (client_id);
create index if not exists platform_sessions_shop_idx on public.platform_sessions (shop);

-- Who is using the app now. Column names follow the customer's original
-- 002_app_sessions.sql so their data moves with an ALTER; the difference is
-- that the bearer token is stored only as its SHA-256 (token_hash) and `id`
-- is a non-secret identifier safe to log and show.
create table if not exists public.app_sessions (
  id                   uuid primary key default gen_random_uuid(),
  token_hash           bytea not null check (length(token_hash) = 32),
  client_id            uuid not null references public.clients (id) on delete cascade,
  user_id              text,                -- platform user id (Shopify sub, Commerce7 user id)
  user_name            text,
  user_email           text,
  theme                text not null default 'light' check (theme in ('light', 'dark')),
  ip_address           text,
  user_agent           text,
  remember_me          boolean not null default false,
  data                 jsonb not null default '{}'::jsonb,
  idle_timeout_seconds integer not null check (idle_timeout_seconds > 0),
  last_activity_at     timestamptz not null,
  idle_expires_at      timestamptz not null, -- last_activity_at + idle timeout, kept by the functions
  expires_at           timestamptz not null, -- absolute limit, never extended
  revoked_at           timestamptz,
  revoked_reason       text,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  constraint app_sessions_token_hash_key unique (token_hash)
);
create index if not exists app_sessions_client_user_idx on public.app_sessions (client_id, user_id);
-- Cleanup walks sessions by the earlier of their two deadlines.
create index if not exists app_sessions_ends_at_idx
  on public.app_sessions ((least(expires_at, idle_expires_at)));

-- Audit trail. Holds session ids, never tokens.
create table if not exists public.session_events (
  id          bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  event       text not null check (length(event) between 1 and 64),
  client_id   uuid references public.clients (id) on delete cascade,
  session_id  uuid,
  user_id     text,
  ip_address  text,
  user_agent  text,
  detail      jsonb not null default '{}'::jsonb
);
create index if not exists session_events_occurred_at_idx on public.session_events (occurred_at);
create index if not exists session_events_client_idx on public.session_events (client_id, occurred_at);

-- Row-level security with no policies: only the table owner and roles that
-- bypass RLS (Supabase's service_role) can touch these rows.
alter table public.clients enable row level security;
alter table public.platform_sessions enable row level security;
alter table public.app_sessions enable row level security;
alter table public.session_events enable row level security;

-- ---------------------------------------------------------------------------
-- Session rules
-- ---------------------------------------------------------------------------

-- The shape every session function returns: the session joined with its client.
create or replace view public.app_session_view
with (security_invoker = true) as
select s.id, s.client_id, c.platform, c.external_id as client_external_id,
       c.organization_name, c.install_state,
       s.user_id, s.user_name, s.user_email, s.theme, s.ip_address, s.user_agent,
       s.remember_me, s.data, s.idle_timeout_seconds, s.last_activity_at,
       s.idle_expires_at, s.expires_at, s.revoked_at, s.revoked_reason,
       s.created_at, s.updated_at
from public.app_sessions s
join public.clients c on c.id = s.client_id;

-- Create a session for a token the app just generated (never one it was given).
create or replace function public.create_app_session(
  p_token_hash           text,      -- hex SHA-256 of the token
  p_client_id            uuid,
  p_ttl_seconds          integer,
  p_idle_timeout_seconds integer,
  p_user_id              text default null,
  p_user_name            text default null,
  p_user_email           text default null,
  p_theme                text default 'light',
  p_ip_address           text default null,
  p_user_agent           text default null,
  p_remember_me          boolean default false,
  p_data                 jsonb default '{}'::jsonb,
  p_now                  timestamptz default now()
) returns setof public.app_session_view
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_id uuid;
begin
  if p_ttl_seconds <= 0 or p_idle_timeout_seconds <= 0 then
    raise exception 'session lifetimes must be positive' using errcode = '22023';
  end if;

  insert into app_sessions (token_hash, client_id, user_id, user_name, user_email,
                            theme, ip_address, user_agent, remember_me, data,
                            idle_timeout_seconds, last_activity_at, idle_expires_at,
                            expires_at, created_at, updated_at)
  values (decode(p_token_hash, 'hex'), p_client_id, p_user_id, p_user_name, p_user_email,
          coalesce(p_theme, 'light'), p_ip_address, left(p_user_agent, 512), p_remember_me,
          coalesce(p_data, '{}'::jsonb), p_idle_timeout_seconds, p_now,
          p_now + make_interval(secs => p_idle_timeout_seconds),
          p_now + make_interval(secs => p_ttl_seconds), p_now, p_now)
  returning id into v_id;

  insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
  values (p_now, 'created', p_client_id, v_id, p_user_id, p_ip_address, left(p_user_agent, 512),
          jsonb_build_object('remember_me', p_remember_me));

  return query select * from app_session_view where id = v_id;
end;
$$;

-- Validate a token and, at most once per p_touch_interval_seconds, record
-- activity. Most calls are a single indexed read; the write (a WAL flush) only
-- happens when the last recorded activity is older than the interval.
--
-- status: 'valid' | 'unknown' | 'revoked' | 'expired' | 'idle'
-- The row is returned with every status but 'unknown', so the app can say why.
create or replace function public.validate_app_session(
  p_token_hash             text,
  p_touch_interval_seconds integer default 60,
  p_now                    timestamptz default now()
) returns table (status text, session jsonb)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v app_session_view%rowtype;
begin
  select * into v from app_session_view
   where id = (select a.id from app_sessions a where a.token_hash = decode(p_token_hash, 'hex'));

  if not found then
    return query select 'unknown'::text, null::jsonb;
    return;
  end if;

  if v.revoked_at is not null then
    return query select 'revoked'::text, to_jsonb(v);
  elsif p_now >= v.expires_at then
    return query select 'expired'::text, to_jsonb(v);
  elsif p_now >= v.idle_expires_at then
    return query select 'idle'::text, to_jsonb(v);
  else
    if p_now - v.last_activity_at >= make_interval(secs => p_touch_interval_seconds) then
      -- The WHERE clause is re-checked after a concurrent writer commits, so
      -- of many simultaneous requests only one writes.
      update app_sessions
         set last_activity_at = p_now,
             idle_expires_at  = p_now + make_interval(secs => idle_timeout_seconds),
             updated_at       = p_now
       where id = v.id
         and last_activity_at <= p_now - make_interval(secs => p_touch_interval_seconds)
         and revoked_at is null;
      if found then
        v.last_activity_at := p_now;
        v.idle_expires_at := p_now + make_interval(secs => v.idle_timeout_seconds);
        v.updated_at := p_now;
      end if;
    end if;
    return query select 'valid'::text, to_jsonb(v);
  end if;
end;
$$;

-- Change what a session carries (theme, user details, data). Identity fields
-- (client, token) are not changeable here: a new identity is a new session.
create or replace function public.update_app_session(
  p_session_id uuid,
  p_theme      text default null,
  p_user_name  text default null,
  p_user_email text default null,
  p_data       jsonb default null,  -- merged into the existing data
  p_now        timestamptz default now()
) returns setof public.app_session_view
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  update app_sessions
     set theme      = coalesce(p_theme, theme),
         user_name  = coalesce(p_user_name, user_name),
         user_email = coalesce(p_user_email, user_email),
         data       = case when p_data is null then data else data || p_data end,
         updated_at = p_now
   where id = p_session_id and revoked_at is null;
  return query select * from app_session_view where id = p_session_id and revoked_at is null;
end;
$$;

-- Replace a live session's token (privilege change, remember-me). The old
-- token stops working in the same statement; lifetimes are re-based on p_now.
create or replace function public.rotate_app_session(
  p_session_id           uuid,
  p_new_token_hash       text,
  p_ttl_seconds          integer,
  p_idle_timeout_seconds integer,
  p_remember_me          boolean,
  p_now                  timestamptz default now()
) returns setof public.app_session_view
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  update app_sessions
     set token_hash           = decode(p_new_token_hash, 'hex'),
         remember_me          = p_remember_me,
         idle_timeout_seconds = p_idle_timeout_seconds,
         last_activity_at     = p_now,
         idle_expires_at      = p_now + make_interval(secs => p_idle_timeout_seconds),
         expires_at           = p_now + make_interval(secs => p_ttl_seconds),
         updated_at           = p_now
   where id = p_session_id and revoked_at is null
     and p_now < expires_at and p_now < idle_expires_at;
  if found then
    insert into session_events (occurred_at, event, client_id, session_id, user_id, detail)
    select p_now, 'renewed', client_id, id, user_id, jsonb_build_object('remember_me', p_remember_me)
      from app_sessions where id = p_session_id;
  end if;
  return query select * from app_session_view where id = p_session_id and revoked_at is null;
end;
$$;

-- Destroy one session (logout). The row is deleted: a logged-out token is
-- simply unknown afterwards. Returns the number of sessions destroyed.
create or replace function public.destroy_app_session(
  p_session_id uuid,
  p_reason     text default 'logged_out',
  p_now        timestamptz default now()
) returns integer
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_user text;
begin
  delete from app_sessions where id = p_session_id
  returning client_id, user_id into v_client, v_user;
  if not found then
    return 0;
  end if;
  insert into session_events (occurred_at, event, client_id, session_id, user_id)
  values (p_now, coalesce(p_reason, 'logged_out'), v_client, p_session_id, v_user);
  return 1;
end;
$$;

-- Revoke sessions of a client, optionally only one user's, one session, or
-- all but one (p_except_session_id). Revoked rows stay until cleanup so the
-- holder is told "revoked" rather than "unknown". Returns the count revoked.
create or replace function public.revoke_app_sessions(
  p_client_id         uuid,
  p_user_id           text default null,
  p_session_id        uuid default null,
  p_except_session_id uuid default null,
  p_reason            text default 'revoked',
  p_now               timestamptz default now()
) returns integer
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_count integer;
begin
  with revoked as (
    update app_sessions
       set revoked_at = p_now, revoked_reason = coalesce(p_reason, 'revoked'), updated_at = p_now
     where client_id = p_client_id
       and revoked_at is null
       and (p_user_id is null or user_id = p_user_id)
       and (p_session_id is null or id = p_session_id)
       and (p_except_session_id is null or id <> p_except_session_id)
    returning id, client_id, user_id
  ), logged as (
    insert into session_events (occurred_at, event, client_id, session_id, user_id, detail)
    select p_now, 'revoked', client_id, id, user_id, jsonb_build_object('reason', coalesce(p_reason, 'revoked'))
      from revoked
    returning 1
  )
  select count(*) into v_count from logged;
  return v_count;
end;
$$;

-- The active sessions of a client (the merchant's session inventory).
create or replace function public.list_app_sessions(
  p_client_id uuid,
  p_user_id   text default null,
  p_now       timestamptz default now()
) returns setof public.app_session_view
language sql stable
set search_path = public, pg_temp
as $$
  select * from app_session_view
   where client_id = p_client_id
     and (p_user_id is null or user_id = p_user_id)
     and revoked_at is null and p_now < expires_at and p_now < idle_expires_at
   order by last_activity_at desc, id;
$$;

-- Remove ONE batch of dead rows and report how many of each kind went.
-- Callers repeat until every count is below p_batch_size; each call is its
-- own short transaction, so cleanup never holds many locks for long.
-- Dead app sessions: past either deadline (revoked ones linger until then so
-- their holder can be told why). Audit rows: older than the retention.
create or replace function public.cleanup_expired_sessions(
  p_batch_size             integer default 5000,
  p_event_retention_days   integer default 90,
  p_now                    timestamptz default now()
) returns table (app_sessions_removed integer, session_events_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_sessions integer;
  v_events integer;
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

  return query select v_sessions, v_events;
end;
$$;

-- Record an audit event the app observed (failed authentication, expiry seen
-- at the door, suspicious binding change ...).
create or replace function public.record_session_event(
  p_event      text,
  p_client_id  uuid default null,
  p_session_id uuid default null,
  p_user_id    text default null,
  p_ip_address text default null,
  p_user_agent text default null,
  p_detail     jsonb default '{}'::jsonb,
  p_now        timestamptz default now()
) returns void
language sql volatile
set search_path = public, pg_temp
as $$
  insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
  values (p_now, p_event, p_client_id, p_session_id, p_user_id, p_ip_address, left(p_user_agent, 512),
          coalesce(p_detail, '{}'::jsonb));
$$;

-- ---------------------------------------------------------------------------
-- Clients
-- ---------------------------------------------------------------------------

-- Insert or refresh an installed client; reinstalling marks it installed again.
create or replace function public.upsert_client(
  p_platform          text,
  p_external_id       text,
  p_organization_name text default null,
  p_now               timestamptz default now()
) returns setof public.clients
language sql volatile
set search_path = public, pg_temp
as $$
  insert into clients (platform, external_id, organization_name, install_state, installed_at, created_at, updated_at)
  values (p_platform, p_external_id, p_organization_name, 'installed', p_now, p_now, p_now)
  on conflict (platform, external_id) do update
     set organization_name = coalesce(excluded.organization_name, clients.organization_name),
         install_state     = 'installed',
         installed_at      = case when clients.install_state = 'installed' then clients.installed_at else p_now end,
         uninstalled_at    = null,
         updated_at        = p_now
  returning *;
$$;

create or replace function public.find_client(
  p_platform    text,
  p_external_id text
) returns setof public.clients
language sql stable
set search_path = public, pg_temp
as $$
  select * from clients where platform = p_platform and external_id = p_external_id;
$$;

create or replace function public.get_client(p_client_id uuid)
returns setof public.clients
language sql stable
set search_path = public, pg_temp
as $$
  select * from clients where id = p_client_id;
$$;

create or replace function public.update_client(
  p_client_id         uuid,
  p_organization_name text,
  p_now               timestamptz default now()
) returns setof public.clients
language sql volatile
set search_path = public, pg_temp
as $$
  update clients set organization_name = p_organization_name, updated_at = p_now
   where id = p_client_id
  returning *;
$$;

-- Uninstall: the platform's credentials and every app session go at once;
-- the client row stays (marked) so a reinstall keeps its settings.
create or replace function public.uninstall_client(
  p_platform    text,
  p_external_id text,
  p_now         timestamptz default now()
) returns table (client_id uuid, app_sessions_removed integer, platform_sessions_removed integer)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_app integer;
  v_platform integer;
begin
  update clients set install_state = 'uninstalled', uninstalled_at = p_now, updated_at = p_now
   where platform = p_platform and external_id = p_external_id
  returning id into v_client;
  if not found then
    return;
  end if;
  delete from app_sessions where app_sessions.client_id = v_client;
  get diagnostics v_app = row_count;
  delete from platform_sessions where platform_sessions.client_id = v_client;
  get diagnostics v_platform = row_count;
  insert into session_events (occurred_at, event, client_id, detail)
  values (p_now, 'uninstalled', v_client,
          jsonb_build_object('app_sessions', v_app, 'platform_sessions', v_platform));
  return query select v_client, v_app, v_platform;
end;
$$;

-- Compliance (shop/redact): the client and everything hanging off it.
create or replace function public.delete_client(
  p_platform    text,
  p_external_id text
) returns integer
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_count integer;
begin
  delete from clients where platform = p_platform and external_id = p_external_id;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- A bare round trip for health checks over PostgREST (the Supabase backend's
-- equivalent of `select 1`).
create or replace function public.ping() returns integer
language sql stable
as $$ select 1 $$;

-- ---------------------------------------------------------------------------
-- Privileges: the functions are the app's server-side API. Nobody but the
-- owner (and Supabase's service_role, where it exists) may call them.
-- ---------------------------------------------------------------------------
create schema if not exists app_private;
revoke all on schema app_private from public;

-- Later migrations call this for every function they add.
create or replace function app_private.restrict_to_service_role(p_names text[])
returns void
language plpgsql
as $$
declare
  fn regprocedure;
begin
  for fn in
    select p.oid::regprocedure
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace and p.proname = any (p_names)
  loop
    execute format('revoke all on function %s from public', fn);
    if exists (select 1 from pg_roles where rolname = 'anon') then
      execute format('revoke all on function %s from anon', fn);
    end if;
    if exists (select 1 from pg_roles where rolname = 'authenticated') then
      execute format('revoke all on function %s from authenticated', fn);
    end if;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;
end;
$$;

select app_private.restrict_to_service_role(array[
  'create_app_session', 'validate_app_session', 'update_app_session', 'rotate_app_session',
  'destroy_app_session', 'revoke_app_sessions', 'list_app_sessions', 'cleanup_expired_sessions',
  'record_session_event', 'upsert_client', 'find_client', 'get_client', 'update_client',
  'uninstall_client', 'delete_client', 'ping'
]);

revoke all on public.app_session_view from public;
