-- Close the session tables to Supabase's API roles.
--
-- Supabase's Data API serves the `public` schema to anyone holding the
-- project's anon (publishable) key, and that key ships to browsers. A new
-- Supabase project's default privileges give the `anon` and `authenticated`
-- roles ALL on every table, view and sequence created in `public`.
-- Row-level security without policies hides the rows from them, but not
-- TRUNCATE, and sequences have no RLS at all. So, like the session functions
-- (app_private.restrict_to_service_role), the session tables answer to
-- `service_role` only.
--
-- Roles that do not exist (plain PostgreSQL, PGlite) are skipped, so this is
-- a no-op there. Only the tables named here are touched: a Supabase project
-- may hold the customer's other tables, which their own front end may read.

create or replace function app_private.restrict_tables_to_service_role(p_names text[])
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  rel record;
  api_role text;
begin
  for rel in
    select c.oid::regclass as name, c.relkind
      from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p', 'v', 'm', 'S')
       and (c.relname = any (p_names)
            -- the sequences behind the named tables' serial and identity columns
            or c.oid in (select d.objid
                           from pg_depend d
                           join pg_class t on t.oid = d.refobjid
                          where d.classid = 'pg_class'::regclass
                            and d.deptype in ('a', 'i')
                            and t.relnamespace = 'public'::regnamespace
                            and t.relname = any (p_names)))
  loop
    execute format('revoke all on %s from public', rel.name);
    foreach api_role in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = api_role) then
        execute format('revoke all on %s from %I', rel.name, api_role);
      end if;
    end loop;
    -- The session functions run as their caller (security invoker), so the
    -- API's trusted role needs exactly these; it bypasses RLS on Supabase.
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format(
        case rel.relkind
          when 'S' then 'grant usage, select on sequence %s to service_role'
          when 'v' then 'grant select on %s to service_role'
          when 'm' then 'grant select on %s to service_role'
          else 'grant select, insert, update, delete on %s to service_role'
        end,
        rel.name);
    end if;
  end loop;
end;
$$;

revoke all on function app_private.restrict_tables_to_service_role(text[]) from public;

-- Later migrations call this for every table or view they add to `public`.
select app_private.restrict_tables_to_service_role(array[
  'clients', 'platform_sessions', 'app_sessions', 'session_events', 'app_session_view', 'oauth_states'
]);
