-- The lock-down of Supabase's API roles, in pgTAP (what `supabase test db`
-- runs; here, pg_prove from Debian against a scratch database the
-- migrations built: tests/supabase/pgtap.test.ts).
--
-- `anon` and `authenticated` (anyone holding the project's public key) can
-- read no session row, hold no privilege on any table, view or sequence in
-- `public`, execute no function there and cannot reach `app_private`;
-- `service_role` (the app's key) can execute every session function and
-- finds a session through them. Everything is enumerated from the catalog,
-- so a table, view or function a later migration adds without restricting
-- it fails here; the last test proves that enumeration can fail.
--
-- One transaction, rolled back: the database keeps nothing of the test.
begin;

-- Supabase keeps extensions in the `extensions` schema, which every API role
-- may use; plain PostgreSQL gets the same for the length of this test.
create schema if not exists extensions;
create extension if not exists pgtap with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;
set local search_path = public, extensions;

select * from no_plan();

-- Relations in `public` on which a role holds any privilege, "name: privileges".
create function pg_temp.relation_grants(p_role text) returns setof text
language sql stable as $$
  select c.relname || ': ' || string_agg(p.privilege, ', ')
    from pg_class c
    cross join unnest(case when c.relkind = 'S' then array['USAGE', 'SELECT', 'UPDATE']
                           else array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] end) as p(privilege)
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
     and case when c.relkind = 'S' then has_sequence_privilege(p_role, c.oid, p.privilege)
              else has_table_privilege(p_role, c.oid, p.privilege) end
   group by c.relname order by 1
$$;

-- Functions and procedures in `public` (not an extension's) a role may (or may not) execute.
create function pg_temp.routines(p_role text, p_can boolean) returns setof text
language sql stable as $$
  select p.oid::regprocedure::text
    from pg_proc p
   where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p')
     and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     and has_function_privilege(p_role, p.oid, 'EXECUTE') = p_can
   order by 1
$$;

-- Tables, views and materialized views in `public`.
create function pg_temp.readable_relations() returns setof regclass
language sql stable as $$
  select c.oid::regclass from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') order by 1
$$;

-- A live session, made as the app makes one (its token's SHA-256 in hex).
create temp table fixture on commit drop as
select s.id as session_id, encode(sha256('pgtap-session-token'::bytea), 'hex') as token_hash
  from upsert_client(p_platform => 'shopify', p_external_id => 'pgtap-shop.myshopify.com') c,
       create_app_session(p_token_hash => encode(sha256('pgtap-session-token'::bytea), 'hex'), p_client_id => c.id,
                          p_ttl_seconds => 3600, p_idle_timeout_seconds => 1800) s;
grant select on fixture to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- The tables themselves
-- ---------------------------------------------------------------------------
select ok((select count(*) from pg_temp.readable_relations()) >= 3
          and 'public.app_sessions'::regclass in (select * from pg_temp.readable_relations()),
          'the enumeration finds the session tables');
select is_empty($$select relname::text from pg_class
                   where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity$$,
                'row-level security is on for every table in public');
select is_empty($$select tablename || ': ' || policyname from pg_policies where schemaname = 'public'$$,
                'no policy lets anyone in: rows answer only to roles that bypass RLS');

-- ---------------------------------------------------------------------------
-- anon and authenticated: nothing
-- ---------------------------------------------------------------------------
select is_empty(format('select * from pg_temp.relation_grants(%L)', r),
                r || ' holds no privilege on any table, view or sequence in public')
  from unnest(array['anon', 'authenticated']) as r;
select is_empty(format('select * from pg_temp.routines(%L, true)', r),
                r || ' can execute no function or procedure in public')
  from unnest(array['anon', 'authenticated']) as r;
select ok(not has_schema_privilege(r, 'app_private', 'USAGE'), r || ' cannot reach app_private')
  from unnest(array['anon', 'authenticated']) as r;

-- And what they meet when they try, as those roles.
set local role anon;
select throws_ok(format('select * from %s limit 1', rel), '42501', null, 'anon cannot read ' || rel)
  from pg_temp.readable_relations() as rel;
select throws_ok('truncate app_sessions', '42501', null, 'anon cannot truncate app_sessions');
select throws_ok(format('select * from validate_app_session(p_token_hash => %L)', (select token_hash from fixture)),
                 '42501', null, 'anon cannot check a session, even holding its token');
select throws_ok('call app_private.run_session_cleanup()', '42501', null, 'anon cannot run the cleanup procedure');
reset role;

set local role authenticated;
select throws_ok(format('select * from %s limit 1', rel), '42501', null, 'authenticated cannot read ' || rel)
  from pg_temp.readable_relations() as rel;
select throws_ok('truncate app_sessions', '42501', null, 'authenticated cannot truncate app_sessions');
select throws_ok(format('select * from validate_app_session(p_token_hash => %L)', (select token_hash from fixture)),
                 '42501', null, 'authenticated cannot check a session, even holding its token');
select throws_ok('call app_private.run_session_cleanup()', '42501', null, 'authenticated cannot run the cleanup procedure');
reset role;

-- ---------------------------------------------------------------------------
-- service_role: every session function, and the session through them
-- ---------------------------------------------------------------------------
select is_empty($$select * from pg_temp.routines('service_role', false)$$,
                'service_role can execute every function in public');
set local role service_role;
select results_eq(format('select status, session->>''id'' from validate_app_session(p_token_hash => %L)',
                         (select token_hash from fixture)),
                  format('values (''valid''::text, %L::text)', (select session_id from fixture)),
                  'service_role finds the live session by its token');
reset role;

-- ---------------------------------------------------------------------------
-- The enumeration can fail: a table and a function added the careless way
-- (Supabase's default privileges then hand them to the API roles) show up.
-- ---------------------------------------------------------------------------
alter default privileges in schema public grant all on tables to anon;
alter default privileges in schema public grant all on functions to anon;
create table public.careless (id int);
create function public.careless_fn() returns int language sql as 'select 1';
select matches((select string_agg(g, '; ') from pg_temp.relation_grants('anon') as g), '^careless: SELECT',
               'a table added without restricting it is caught');
select results_eq($$select * from pg_temp.routines('anon', true)$$, $$values ('careless_fn()'::text)$$,
                  'a function added without restricting it is caught');

select * from finish();
rollback;
