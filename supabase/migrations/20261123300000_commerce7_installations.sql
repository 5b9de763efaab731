-- Commerce7 installations (activation / deactivation).
--
-- Commerce7 API calls use the app's own id and secret (Basic auth) plus a
-- `tenant` header: there is no per-tenant token. So a Commerce7 installation
-- is a clients row plus a platform_sessions row that RECORDS it (who
-- activated, when, the setup variables the tenant chose) and holds no secret:
-- its token columns stay null.
--
-- Deactivation uses uninstall_client (first migration): the tenant's platform
-- and app sessions go, the client row stays marked 'uninstalled'.

-- Activate (or re-activate) a tenant in ONE round trip: upsert the client,
-- upsert its installation record, write an audit row. Repeating the same
-- activation changes nothing but updated_at (installed_at is kept while the
-- client stays installed).
create or replace function public.install_commerce7_tenant(
  p_tenant_id         text,
  p_organization_name text default null,
  p_user_id           text default null,
  p_data              jsonb default '{}'::jsonb,  -- installedBy, setup variables: nothing secret
  p_now               timestamptz default now()
) returns table (client_id uuid, platform_session_id text, already_installed boolean)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_was_installed boolean;
  v_session_id text := 'commerce7_' || p_tenant_id;
begin
  select c.install_state = 'installed' into v_was_installed
    from clients c
   where c.platform = 'commerce7' and c.external_id = p_tenant_id
     for update;

  select u.id into v_client from upsert_client('commerce7', p_tenant_id, p_organization_name, p_now) u;

  insert into platform_sessions (id, client_id, platform, shop, is_online, user_id, data, created_at, updated_at)
  values (v_session_id, v_client, 'commerce7', p_tenant_id, false, p_user_id,
          coalesce(p_data, '{}'::jsonb), p_now, p_now)
  on conflict (id) do update
     set client_id  = excluded.client_id,
         user_id    = excluded.user_id,
         data       = excluded.data,
         updated_at = p_now;

  insert into session_events (occurred_at, event, client_id, user_id, detail)
  values (p_now, 'installed', v_client, p_user_id,
          jsonb_build_object('platform', 'commerce7', 'repeated', coalesce(v_was_installed, false)));

  return query select v_client, v_session_id, coalesce(v_was_installed, false);
end;
$$;

select app_private.restrict_to_service_role(array['install_commerce7_tenant']);
