-- Moving an existing installation (the original supabase/migrations/002_app_sessions.sql)
-- onto this app's schema, step 1 of 2: run ONCE, BEFORE `npm run db:migrate`.
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/legacy-import/before-migrate.sql
--
-- It reshapes the existing app_sessions table in place (an ALTER, not a
-- rewrite: grants, replication and backups that name the table carry on),
-- closes it to anon/authenticated, and moves aside a clients or
-- platform_sessions table whose shape differs from ours, so that the
-- migrations can create theirs. One transaction: all or nothing.
-- See docs/SESSION_MIGRATION_GUIDE.md.

begin;

do $$
begin
  if to_regclass('public.app_sessions') is null then
    raise exception 'no public.app_sessions table: nothing to move (run npm run db:migrate directly)';
  end if;
  if exists (select 1 from information_schema.columns
              where table_schema = 'public' and table_name = 'app_sessions' and column_name = 'token_hash') then
    raise exception 'app_sessions already has token_hash: this script has run already';
  end if;
end $$;

-- 1. Close the table. The old policies (and any grants) let the anon and
--    authenticated roles reach it, and the old cleanup function was
--    callable by anyone. The new schema has RLS with no policies and
--    service_role-only functions.
do $$
declare
  p record;
  r text;
begin
  for p in select policyname, tablename from pg_policies
            where schemaname = 'public' and tablename in ('app_sessions', 'clients', 'platform_sessions') loop
    execute format('drop policy %I on public.%I', p.policyname, p.tablename);
  end loop;
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('revoke all on public.app_sessions from %I', r);
    end if;
  end loop;
end $$;
drop function if exists public.cleanup_expired_app_sessions();
alter table public.app_sessions enable row level security;

-- 2. The cookie value itself was the primary key. Keep only its SHA-256
--    (token_hash) and give every row a new, non-secret id.
do $$
declare
  c record;
begin
  for c in select conname from pg_constraint
            where conrelid = 'public.app_sessions'::regclass and contype in ('p', 'f') loop
    -- the primary key on the cookie value, and the foreign key to the old
    -- clients table (after-migrate.sql adds it back against the new one)
    execute format('alter table public.app_sessions drop constraint %I', c.conname);
  end loop;
end $$;
alter table public.app_sessions rename column id to legacy_cookie_value;
alter table public.app_sessions
  add column id         uuid not null default gen_random_uuid(),
  add column token_hash bytea;
update public.app_sessions set token_hash = sha256(convert_to(legacy_cookie_value::text, 'UTF8'));
alter table public.app_sessions drop column legacy_cookie_value;
alter table public.app_sessions
  add primary key (id),
  alter column token_hash set not null,
  add constraint app_sessions_token_hash_key unique (token_hash),
  add constraint app_sessions_token_hash_length check (length(token_hash) = 32);

-- 3. What the new rules need: the platform user, remember-me, idle expiry,
--    revocation. Old rows get the default 30-minute idle timeout.
alter table public.app_sessions
  add column if not exists user_id              text,
  add column if not exists remember_me          boolean not null default false,
  add column if not exists data                 jsonb not null default '{}'::jsonb,
  add column if not exists idle_timeout_seconds integer not null default 1800 check (idle_timeout_seconds > 0),
  add column if not exists idle_expires_at      timestamptz,
  add column if not exists revoked_at           timestamptz,
  add column if not exists revoked_reason       text;
update public.app_sessions
   set created_at       = coalesce(created_at, now()),
       updated_at       = coalesce(updated_at, created_at, now()),
       last_activity_at = coalesce(last_activity_at, created_at, now()),
       theme            = coalesce(theme, 'light');
update public.app_sessions
   set idle_expires_at = least(expires_at, last_activity_at + make_interval(secs => idle_timeout_seconds));
alter table public.app_sessions
  alter column idle_expires_at  set not null,
  alter column last_activity_at set not null,
  alter column expires_at       set not null,
  alter column created_at       set not null,
  alter column updated_at       set not null,
  alter column theme            set not null;

-- 4. Tables of another shape go aside; the migrations create ours and
--    after-migrate.sql copies clients back with the same ids.
do $$
begin
  if to_regclass('public.clients') is not null and not exists (
       select 1 from information_schema.columns
        where table_schema = 'public' and table_name = 'clients' and column_name = 'external_id') then
    alter table public.clients rename to clients_legacy;
  end if;
  if to_regclass('public.platform_sessions') is not null and not exists (
       select 1 from information_schema.columns
        where table_schema = 'public' and table_name = 'platform_sessions' and column_name = 'access_token_enc') then
    -- plaintext tokens: never copied; see the guide (token exchange / reactivation)
    alter table public.platform_sessions rename to platform_sessions_legacy;
  end if;
end $$;

commit;
