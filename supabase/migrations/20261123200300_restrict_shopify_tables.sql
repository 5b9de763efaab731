-- The webhook delivery log is server-side state like the session tables:
-- closed to Supabase's anon and authenticated roles, open to service_role.
select app_private.restrict_tables_to_service_role(array['webhook_deliveries']);
