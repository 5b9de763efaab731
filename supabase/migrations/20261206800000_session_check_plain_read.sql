-- The session check as a plain indexed read, and the activity touch as a
-- separate write made only when it is due (issue #18).
--
-- Before, every request called validate_app_session: a plpgsql function
-- that read the row, decided, maybe updated, and returned it as jsonb. On
-- every request that cost a plpgsql call and a jsonb encode/decode for a
-- write that happens at most once a minute per session.
--
-- Now the rules still live here, in two functions every backend calls:
--   app_session_check  the read: the session and its client, its status
--                      (revoked / expired / idle / valid) and whether its
--                      activity is due to be recorded. No row: unknown token.
--   touch_app_session  the write, called only when the read said it is due.
-- validate_app_session keeps its contract (status + jsonb, one call), built
-- from the same two, for callers that want one round trip.
--
-- app_session_check is a SQL-language, STABLE, set-returning function with
-- no SET clause and not SECURITY DEFINER: PostgreSQL inlines such a function
-- into the calling query, so a prepared call is planned once and runs as the
-- bare index lookup (no function call at all; see EXPLAIN). That is also why
-- it has no `set search_path`: a SET clause forbids inlining. Every name in
-- its body is schema-qualified instead, and as it is not SECURITY DEFINER it
-- runs with the caller's rights (service_role only; row-level security on).
create or replace function public.app_session_check(
  p_token_hash             text,        -- hex SHA-256 of the token
  p_touch_interval_seconds integer,
  p_now                    timestamptz
) returns table (
  status               text,     -- valid | revoked | expired | idle (no row: unknown)
  touch_due            boolean,  -- valid, and activity last recorded >= the interval ago
  id                   uuid,
  client_id            uuid,
  platform             text,
  client_external_id   text,
  organization_name    text,
  install_state        text,
  user_id              text,
  user_name            text,
  user_email           text,
  theme                text,
  ip_address           text,
  user_agent           text,
  remember_me          boolean,
  data                 jsonb,
  idle_timeout_seconds integer,
  last_activity_at     timestamptz,
  idle_expires_at      timestamptz,
  expires_at           timestamptz,
  revoked_at           timestamptz,
  revoked_reason       text,
  created_at           timestamptz,
  updated_at           timestamptz,
  csrf_token           text
)
language sql stable
as $$
  select case
           when s.revoked_at is not null then 'revoked'
           when p_now >= s.expires_at then 'expired'
           when p_now >= s.idle_expires_at then 'idle'
           else 'valid'
         end,
         s.revoked_at is null and p_now < s.expires_at and p_now < s.idle_expires_at
           and p_now - s.last_activity_at >= make_interval(secs => p_touch_interval_seconds),
         s.id, s.client_id, c.platform, c.external_id, c.organization_name, c.install_state,
         s.user_id, s.user_name, s.user_email, s.theme, s.ip_address, s.user_agent,
         s.remember_me, s.data, s.idle_timeout_seconds, s.last_activity_at,
         s.idle_expires_at, s.expires_at, s.revoked_at, s.revoked_reason,
         s.created_at, s.updated_at, s.csrf_token
    from public.app_sessions s
    join public.clients c on c.id = s.client_id
   where s.token_hash = pg_catalog.decode(p_token_hash, 'hex')
$$;

-- Record activity (sliding idle expiry). The WHERE clause is re-checked after
-- a concurrent writer commits, so of many simultaneous requests only one
-- writes; a session revoked meanwhile is not touched. No row: nothing written.
create or replace function public.touch_app_session(
  p_session_id             uuid,
  p_touch_interval_seconds integer,
  p_now                    timestamptz
) returns table (last_activity_at timestamptz, idle_expires_at timestamptz, updated_at timestamptz)
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  return query
  update app_sessions s
     set last_activity_at = p_now,
         idle_expires_at  = p_now + make_interval(secs => s.idle_timeout_seconds),
         updated_at       = p_now
   where s.id = p_session_id
     and s.last_activity_at <= p_now - make_interval(secs => p_touch_interval_seconds)
     and s.revoked_at is null
     and p_now < s.expires_at
  returning s.last_activity_at, s.idle_expires_at, s.updated_at;
end;
$$;

-- Same contract as before (one call, status + the session as jsonb), now
-- the read and the touch above: the rules are written once.
create or replace function public.validate_app_session(
  p_token_hash             text,
  p_touch_interval_seconds integer default 60,
  p_now                    timestamptz default now()
) returns table (status text, session jsonb)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  r record;
  t record;
begin
  select * into r from app_session_check(p_token_hash, p_touch_interval_seconds, p_now);
  if not found then
    return query select 'unknown'::text, null::jsonb;
    return;
  end if;
  if r.touch_due then
    select * into t from touch_app_session(r.id, p_touch_interval_seconds, p_now);
    if found then
      r.last_activity_at := t.last_activity_at;
      r.idle_expires_at := t.idle_expires_at;
      r.updated_at := t.updated_at;
    end if;
  end if;
  return query select r.status, to_jsonb(r) - 'status' - 'touch_due';
end;
$$;

select app_private.restrict_to_service_role(array['app_session_check', 'touch_app_session', 'validate_app_session']);
