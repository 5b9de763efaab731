-- Platform sessions through Shopify's SessionStorage shape (storeSession,
-- loadSession, deleteSession(s), findSessionsByShop), one SQL function per
-- operation. Tokens arrive already encrypted by the app (AES-256-GCM,
-- "<key id>:<iv>:<ciphertext+tag>", app/lib/token-encryption.server.ts):
-- the database never sees a platform token in the clear.
--
-- Expiring offline tokens are refreshed by ONE process at a time: a process
-- that wants to refresh first claims a short lease on the row
-- (claim_platform_session_refresh); storing the refreshed session releases it.

-- While set and in the future, one process is refreshing this session's token.
alter table public.platform_sessions add column if not exists refresh_locked_until timestamptz;

-- Insert or replace a session of an INSTALLED client, in one round trip.
-- Returns false (and stores nothing) when the shop has no installed client:
-- an uninstall that wins a race against a token refresh is not undone by it.
-- The client row is share-locked, so an uninstall running at the same time
-- either waits for this store (and then deletes the session) or goes first
-- (and this store finds the client uninstalled).
create or replace function public.store_platform_session(
  p_id                       text,
  p_platform                 text,
  p_shop                     text,
  p_is_online                boolean default false,
  p_state                    text default null,
  p_scope                    text default null,
  p_expires_at               timestamptz default null,
  p_access_token_enc         text default null,
  p_refresh_token_enc        text default null,
  p_refresh_token_expires_at timestamptz default null,
  p_user_id                  text default null,
  p_online_access_info       jsonb default null,
  p_now                      timestamptz default now()
) returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
begin
  select c.id into v_client from clients c
   where c.platform = p_platform and c.external_id = p_shop and c.install_state = 'installed'
     for share;
  if not found then
    return false;
  end if;

  insert into platform_sessions (id, client_id, platform, shop, is_online, state, scope, expires_at,
                                 access_token_enc, refresh_token_enc, refresh_token_expires_at,
                                 user_id, online_access_info, refresh_locked_until, created_at, updated_at)
  values (p_id, v_client, p_platform, p_shop, coalesce(p_is_online, false), p_state, p_scope, p_expires_at,
          p_access_token_enc, p_refresh_token_enc, p_refresh_token_expires_at,
          p_user_id, p_online_access_info, null, p_now, p_now)
  on conflict (id) do update
     set client_id                = excluded.client_id,
         platform                 = excluded.platform,
         shop                     = excluded.shop,
         is_online                = excluded.is_online,
         state                    = excluded.state,
         scope                    = excluded.scope,
         expires_at               = excluded.expires_at,
         access_token_enc         = excluded.access_token_enc,
         refresh_token_enc        = excluded.refresh_token_enc,
         refresh_token_expires_at = excluded.refresh_token_expires_at,
         user_id                  = excluded.user_id,
         online_access_info       = excluded.online_access_info,
         refresh_locked_until     = null,
         updated_at               = p_now;
  return true;
end;
$$;

create or replace function public.load_platform_session(p_id text)
returns setof public.platform_sessions
language sql stable
set search_path = public, pg_temp
as $$
  select * from platform_sessions where id = p_id;
$$;

-- Returns the number of sessions deleted.
create or replace function public.delete_platform_sessions(p_ids text[])
returns integer
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_count integer;
begin
  delete from platform_sessions where id = any (p_ids);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

create or replace function public.find_platform_sessions_by_shop(p_platform text, p_shop text)
returns setof public.platform_sessions
language sql stable
set search_path = public, pg_temp
as $$
  select * from platform_sessions where platform = p_platform and shop = p_shop order by id;
$$;

-- Claim the right to refresh a session's token for p_lease_seconds. True for
-- exactly one caller while the lease runs, and only if the row still has the
-- expiry the caller saw (p_expected_expires_at): a session another process
-- has already refreshed has a new expiry, so the claim fails and the caller
-- reloads it instead of spending the (single-use) refresh token again.
create or replace function public.claim_platform_session_refresh(
  p_id                  text,
  p_expected_expires_at timestamptz,
  p_lease_seconds       integer default 30,
  p_now                 timestamptz default now()
) returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  update platform_sessions
     set refresh_locked_until = p_now + make_interval(secs => p_lease_seconds)
   where id = p_id
     and expires_at is not distinct from p_expected_expires_at
     and refresh_token_enc is not null
     and (refresh_locked_until is null or refresh_locked_until <= p_now);
  return found;
end;
$$;

select app_private.restrict_to_service_role(array[
  'store_platform_session', 'load_platform_session', 'delete_platform_sessions',
  'find_platform_sessions_by_shop', 'claim_platform_session_refresh'
]);
