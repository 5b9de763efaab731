-- Seed for `supabase db reset` (local development only: `supabase db push`
-- never runs it).
--
-- Deliberately no data. Clients are created by the install flow (locally,
-- the platform sandbox installs its demo shop and tenant), and app sessions
-- only by the app, the one holder of their tokens: a session seeded here
-- would have a token known to everyone who can read this file.
--
-- It checks that the migrations left the session schema in place, so a
-- reset that lost them fails loudly instead of an app that 500s later.
do $$
begin
  if to_regprocedure('public.validate_app_session(text, integer, timestamptz)') is null then
    raise exception 'public.validate_app_session is missing: were supabase/migrations applied?';
  end if;
  if to_regprocedure('app_private.run_session_cleanup(integer, integer, integer)') is null then
    raise exception 'app_private.run_session_cleanup is missing: were supabase/migrations applied?';
  end if;
end;
$$;
