-- Shopify webhooks: app/uninstalled, app/scopes_update and the mandatory
-- compliance topics, each applied ONCE per delivery.
--
-- Shopify retries a delivery (same X-Shopify-Webhook-Id) until it gets a 2xx,
-- for up to 48 hours. The delivery id is recorded in the same transaction as
-- the change it causes, so a repeated delivery changes nothing, and a
-- delivery whose change failed is not recorded (its retry applies it).
-- Rows hold the id, topic and time only: nothing about the shop or its
-- customers. They need keeping only as long as Shopify may retry (48 h);
-- the operations cleanup removes older ones (retention: 7 days).

create table if not exists public.webhook_deliveries (
  platform    text not null check (platform in ('shopify', 'commerce7')),
  webhook_id  text not null check (length(webhook_id) between 1 and 255),
  topic       text not null check (length(topic) between 1 and 64),
  received_at timestamptz not null,
  primary key (platform, webhook_id)
);
create index if not exists webhook_deliveries_received_at_idx on public.webhook_deliveries (received_at);
alter table public.webhook_deliveries enable row level security;

-- Apply one delivery. Returns 'processed', 'duplicate' (this delivery id was
-- applied before: nothing changes), or 'stale' (an app/uninstalled triggered
-- before the shop's current installation: the shop reinstalled since, so the
-- new installation is kept).
--   app/uninstalled         the shop's platform and app sessions go, the client is marked uninstalled
--   app/scopes_update       the shop's platform sessions get the new scope
--   customers/data_request  the app keeps no customer data: recorded only
--   customers/redact        the app keeps no customer data: recorded only
--   shop/redact             the client and everything hanging off it are deleted
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
begin
  if p_topic not in ('app/uninstalled', 'app/scopes_update', 'customers/data_request', 'customers/redact', 'shop/redact') then
    raise exception 'unsupported Shopify webhook topic: %', p_topic using errcode = '22023';
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

  if p_topic = 'app/uninstalled' then
    if v_client is not null and v_state = 'installed' then
      if p_triggered_at is not null and v_installed_at is not null and p_triggered_at < v_installed_at then
        return 'stale';
      end if;
      perform uninstall_client('shopify', p_shop, p_now);
    end if;
  elsif p_topic = 'app/scopes_update' then
    update platform_sessions set scope = p_scope, updated_at = p_now
     where platform = 'shopify' and shop = p_shop;
  elsif p_topic = 'shop/redact' then
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

select app_private.restrict_to_service_role(array['process_shopify_webhook']);
