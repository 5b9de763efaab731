-- The schema version, for GET /healthz: the migrations this database has
-- applied, as recorded in the table both `npm run db:migrate` and the
-- Supabase CLI write (supabase_migrations.schema_migrations). The app compares
-- them with the migrations its build ships and answers 503 until every one
-- has run, so a load balancer never sends merchants to an instance whose
-- session functions are missing or old (each of their requests would fail).
--
-- security definer: the service role may call it without any right on the
-- supabase_migrations schema; it reveals version numbers only.
--
-- plpgsql, so the ledger is looked up when it is called, not when this is
-- created: a database built from these files without a ledger (pg_cron's own
-- database in a test, `psql -f`) still applies it, and reports no versions.
create or replace function public.applied_migrations() returns text[]
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_versions text[];
begin
  if to_regclass('supabase_migrations.schema_migrations') is null then
    return '{}';
  end if;
  execute 'select coalesce(array_agg(m.version::text order by m.version), ''{}'')
             from supabase_migrations.schema_migrations m'
     into v_versions;
  return v_versions;
end;
$$;

select app_private.restrict_to_service_role(array['applied_migrations']);
