-- Replayed Shopify webhooks (issue 13). The HMAC covers a delivery's body,
-- not its headers: X-Shopify-Webhook-Id and X-Shopify-Triggered-At can be
-- rewritten on a captured delivery. The app refuses a delivery without a
-- triggered-at and confirms app/uninstalled with Shopify before calling this
-- (app/lib/shopify/webhooks.server.ts); here, in the same transaction as the
-- change, every topic that destroys or changes data is held to the shop's
-- current installation.

-- The clients row records when the shop's CURRENT installation began: the
-- app calls this whenever Shopify grants it a new offline token (OAuth
-- install, token exchange), which Shopify does only for an installed app.
-- So installed_at moves on at a reinstall even when the app never heard of
-- the uninstall in between (its webhook lost while the app was down), and an
-- uninstall triggered before it is recognised as stale.
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
         installed_at      = greatest(clients.installed_at, p_now),
         uninstalled_at    = null,
         updated_at        = p_now
  returning *;
$$;

-- Apply one delivery. Returns 'processed', 'duplicate' (this delivery id was
-- applied before: nothing changes), or 'stale' (nothing changes, and the app
-- answers 200 so Shopify stops retrying):
--   app/uninstalled    triggered before the shop's current installation
--   app/scopes_update  triggered before the shop's current installation (the
--                      new grant's scope is newer), or the shop is not installed
--   shop/redact        the shop is installed: Shopify sends it 48 hours after
--                      an uninstall, so an installed shop's data is in use;
--                      or triggered before the current installation
-- A delivery without p_triggered_at is an error: Shopify always sends one.
create or replace function public.process_shopify_webhook(
  p_webhook_id   text,
  p_topic        text,
  p_shop         text,
  p_scope        text default null,
  p_triggered_at timestamptz default null,
  p_now          timestamptz default now()
) returns text
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client       uuid;
  v_state        text;
  v_installed_at timestamptz;
  v_stale        boolean;
begin
  if p_topic not in ('app/uninstalled', 'app/scopes_update', 'customers/data_request', 'customers/redact', 'shop/redact') then
    raise exception 'unsupported Shopify webhook topic: %', p_topic using errcode = '22023';
  end if;
  if p_triggered_at is null then
    raise exception 'a Shopify webhook must carry its triggered-at time' using errcode = '22023';
  end if;

  insert into webhook_deliveries (platform, webhook_id, topic, received_at)
  values ('shopify', p_webhook_id, p_topic, p_now)
  on conflict do nothing;
  if not found then
    return 'duplicate';
  end if;

  select c.id, c.install_state, c.installed_at into v_client, v_state, v_installed_at
    from clients c
   where c.platform = 'shopify' and c.external_id = p_shop
     for update;
  v_stale := v_installed_at is not null and p_triggered_at < v_installed_at;

  if p_topic = 'app/uninstalled' then
    if v_client is not null and v_state = 'installed' then
      if v_stale then
        return 'stale';
      end if;
      perform uninstall_client('shopify', p_shop, p_now);
    end if;
  elsif p_topic = 'app/scopes_update' then
    if v_client is null or v_state <> 'installed' or v_stale then
      return 'stale';
    end if;
    update platform_sessions set scope = p_scope, updated_at = p_now
     where platform = 'shopify' and shop = p_shop;
  elsif p_topic = 'shop/redact' then
    if v_state = 'installed' or v_stale then
      return 'stale';
    end if;
    perform delete_client('shopify', p_shop);
    return 'processed';
  end if;

  if v_client is not null and p_topic <> 'app/uninstalled' then
    insert into session_events (occurred_at, event, client_id, detail)
    values (p_now, 'webhook.' || p_topic, v_client,
            jsonb_build_object('topic', p_topic, 'webhook_id', p_webhook_id));
  end if;
  return 'processed';
end;
$$;

select app_private.restrict_to_service_role(array['process_shopify_webhook', 'upsert_client']);
