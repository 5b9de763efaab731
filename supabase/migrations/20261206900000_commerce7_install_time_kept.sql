-- upsert_client, revised. The webhook-replay guard (20261206300100) moves a
-- Shopify shop's installed_at on at every new offline token, so that an
-- app/uninstalled triggered before a reinstall the app never heard of is
-- recognised as stale. Commerce7 has no replayable deliveries, and its
-- activation is documented (20261123300000) to keep installed_at while the
-- tenant stays installed: a repeated activation changes nothing but
-- updated_at. Both rules live here, in the one function that records an install.
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
         installed_at      = case
                               when clients.platform = 'commerce7' and clients.install_state = 'installed'
                                 then clients.installed_at
                               else greatest(clients.installed_at, p_now)
                             end,
         uninstalled_at    = null,
         updated_at        = p_now
  returning *;
$$;

select app_private.restrict_to_service_role(array['upsert_client']);
