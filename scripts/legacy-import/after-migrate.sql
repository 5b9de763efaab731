-- Moving an existing installation onto this app's schema, step 2 of 2:
-- run ONCE, AFTER `npm run db:migrate` (and before the new app takes traffic).
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/legacy-import/after-migrate.sql
--
-- Copies the old clients into the new table with the same ids, reconnects
-- app_sessions to it, and retires the old sessions (their cookies were the
-- raw, unsigned ids: the new app refuses them, so they are marked revoked
-- and cleanup removes them at their old deadlines). One transaction.
-- See docs/SESSION_MIGRATION_GUIDE.md.

begin;

-- 1. Clients, same ids. EDIT THE THREE MARKED COLUMNS if your old table
--    names them differently. Skipped when before-migrate.sql found a
--    clients table already in the new shape.
do $$
begin
  if to_regclass('public.clients_legacy') is not null then
    insert into public.clients (id, platform, external_id, organization_name, install_state,
                                installed_at, created_at, updated_at)
    select id,
           crm_type,           -- EDIT: 'shopify' or 'commerce7'
           tenant_id,          -- EDIT: the shop domain (x.myshopify.com) or Commerce7 tenantId
           organization_name,  -- EDIT: the organization's name (or null)
           'installed', created_at, coalesce(created_at, now()), coalesce(updated_at, created_at, now())
      from public.clients_legacy
    on conflict do nothing;
  end if;
end $$;

-- 2. Sessions of clients that did not come across cannot be used.
delete from public.app_sessions s where not exists (select 1 from public.clients c where c.id = s.client_id);

-- 3. app_sessions refers to the new clients, as on a fresh install.
alter table public.app_sessions
  add constraint app_sessions_client_id_fkey
  foreign key (client_id) references public.clients (id) on delete cascade;

-- 4. The old sessions end: recorded in the audit trail, removed by cleanup.
with retired as (
  update public.app_sessions
     set revoked_at = now(), revoked_reason = 'migrated', updated_at = now()
   where revoked_at is null
  returning id, client_id, user_id
)
insert into public.session_events (event, client_id, session_id, user_id, detail)
select 'revoked', client_id, id, user_id, jsonb_build_object('reason', 'migrated') from retired;

commit;
