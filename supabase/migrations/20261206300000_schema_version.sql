-- The schema version, for GET /healthz: the migrations this database has
-- applied, as recorded in the table both `npm run db:migrate` and the
-- Supabase CLI write (supabase_migrations.schema_migrations). The app compares
-- them with the migrations its build ships and answers 503 until every one
-- has run, so a load balancer never sends merchants to an instance whose
-- session functions are missing or old (each of their requests would fail).
--
-- security definer: the service role may call it without any right on the
-- supabase_migrations schema; it reveals version numbers only.
create or replace function public.applied_migrations() returns text[]
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(array_agg(m.version::text order by m.version), '{}')
    from supabase_migrations.schema_migrations m
$$;

select app_private.restrict_to_service_role(array['applied_migrations']);
