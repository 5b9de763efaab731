-- Platform sessions as a drop-in Shopify SessionStorage (issue 15).
--
-- store_platform_session is what SessionStorage.storeSession means to every
-- caller of that interface (@shopify/shopify-app-remix's token exchange, the
-- OAuth callback, Shopify's own adapter test battery): "this shop is
-- installed, here is its session". It now records the installation itself
-- (creating the clients row, or marking an uninstalled one installed again)
-- instead of refusing a shop it has no installed row for, which silently
-- dropped the sessions of any caller that stored before we had.
--
-- The uninstall-vs-refresh race guard moves to its own function,
-- store_platform_session_if_installed, which only the app's own token refresh
-- calls: a refresh that finishes after an uninstall must not reinstall the shop.

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
  -- Share-locked as in store_platform_session_if_installed: an uninstall
  -- running now either waits for this store or goes first.
  select c.id into v_client from clients c
   where c.platform = p_platform and c.external_id = p_shop and c.install_state = 'installed'
     for share;
  if not found then
    -- Not (or no longer) installed: the caller says it is. Same rule as
    -- upsert_client: a reinstall keeps the name and restarts installed_at.
    insert into clients as c (platform, external_id, install_state, installed_at, created_at, updated_at)
    values (p_platform, p_shop, 'installed', p_now, p_now, p_now)
    on conflict (platform, external_id) do update
       set install_state  = 'installed',
           installed_at   = p_now,
           uninstalled_at = null,
           updated_at     = p_now
    returning c.id into v_client;
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
         refresh_locked_until     = null,   -- storing releases a refresh lease
         updated_at               = p_now;
  return true;
end;
$$;

-- The app's own refresh path: store only while the shop is still installed.
-- Returns false (and stores nothing) when it is not: an uninstall that wins a
-- race against a token refresh is not undone by it. The client row is
-- share-locked, so an uninstall running at the same time either waits for
-- this store (and then deletes the session) or goes first (and this store
-- finds the client uninstalled).
create or replace function public.store_platform_session_if_installed(
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
begin
  perform 1 from clients c
   where c.platform = p_platform and c.external_id = p_shop and c.install_state = 'installed'
     for share;
  if not found then
    return false;
  end if;
  -- Installed and locked: store_platform_session finds it so and only stores the row.
  return public.store_platform_session(p_id, p_platform, p_shop, p_is_online, p_state, p_scope, p_expires_at,
    p_access_token_enc, p_refresh_token_enc, p_refresh_token_expires_at, p_user_id, p_online_access_info, p_now);
end;
$$;

select app_private.restrict_to_service_role(array['store_platform_session', 'store_platform_session_if_installed']);
