-- What a merchant's own session may see and end on /app/sessions, decided
-- here from the session itself, never from ids a route passes in.
--
-- list_app_sessions / revoke_app_sessions take a client and an optional user,
-- and a NULL user means "every user of the client": right for the operator
-- CLI and for uninstall, wrong for a merchant. A session without a user (the
-- one the Shopify OAuth install callback starts) passed its NULL user_id
-- along and so listed, and could revoke, every colleague's session. The two
-- functions below take only the caller's session id:
--   - a session with a user sees and ends only that user's sessions of its
--     own client;
--   - a session without a user sees only itself and ends nothing else;
--   - a caller that is not live (ended, revoked, unknown) sees and ends nothing.

create or replace function public.list_own_app_sessions(
  p_session_id uuid,
  p_now        timestamptz default now()
) returns setof public.app_session_view
language sql stable
set search_path = public, pg_temp
as $$
  with me as (
    select id, client_id, user_id from app_sessions
     where id = p_session_id
       and revoked_at is null and p_now < expires_at and p_now < idle_expires_at
  )
  select v.* from app_session_view v, me
   where v.client_id = me.client_id
     and (case when me.user_id is null then v.id = me.id else v.user_id = me.user_id end)
     and v.revoked_at is null and p_now < v.expires_at and p_now < v.idle_expires_at
   order by v.last_activity_at desc, v.id;
$$;

-- Revoke one of the caller's own sessions (p_target_session_id), or, with
-- p_target_session_id null, all of them but the caller's. The caller itself
-- is never revoked here (that is logout). Returns the count revoked.
create or replace function public.revoke_own_app_sessions(
  p_session_id        uuid,
  p_target_session_id uuid default null,
  p_reason            text default 'revoked_by_user',
  p_now               timestamptz default now()
) returns integer
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_user text;
  v_count integer;
begin
  select client_id, user_id into v_client, v_user from app_sessions
   where id = p_session_id
     and revoked_at is null and p_now < expires_at and p_now < idle_expires_at;
  -- Not live, or no user: nothing of anyone else's is the caller's to end.
  if not found or v_user is null then
    return 0;
  end if;
  with revoked as (
    update app_sessions
       set revoked_at = p_now, revoked_reason = coalesce(p_reason, 'revoked'), updated_at = p_now
     where client_id = v_client
       and user_id = v_user
       and id <> p_session_id
       and revoked_at is null
       and (p_target_session_id is null or id = p_target_session_id)
    returning id, client_id, user_id
  ), logged as (
    insert into session_events (occurred_at, event, client_id, session_id, user_id, detail)
    select p_now, 'revoked', client_id, id, user_id,
           jsonb_build_object('reason', coalesce(p_reason, 'revoked'), 'by_session', p_session_id)
      from revoked
    returning 1
  )
  select count(*) into v_count from logged;
  return v_count;
end;
$$;

-- "Keep me signed in" (and any other rotation through this function) gives
-- the session a new token AND a new CSRF token: a form token rendered for
-- the old credential must not outlive it (OWASP: renew both on a privilege
-- change). Same signature and result as before; only the csrf_token line is new.
create or replace function public.rotate_app_session(
  p_session_id           uuid,
  p_new_token_hash       text,
  p_ttl_seconds          integer,
  p_idle_timeout_seconds integer,
  p_remember_me          boolean,
  p_now                  timestamptz default now()
) returns setof public.app_session_view
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  update app_sessions
     set token_hash           = decode(p_new_token_hash, 'hex'),
         csrf_token           = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
         remember_me          = p_remember_me,
         idle_timeout_seconds = p_idle_timeout_seconds,
         last_activity_at     = p_now,
         idle_expires_at      = p_now + make_interval(secs => p_idle_timeout_seconds),
         expires_at           = p_now + make_interval(secs => p_ttl_seconds),
         updated_at           = p_now
   where id = p_session_id and revoked_at is null
     and p_now < expires_at and p_now < idle_expires_at;
  if found then
    insert into session_events (occurred_at, event, client_id, session_id, user_id, detail)
    select p_now, 'renewed', client_id, id, user_id, jsonb_build_object('remember_me', p_remember_me)
      from app_sessions where id = p_session_id;
  end if;
  return query select * from app_session_view where id = p_session_id and revoked_at is null;
end;
$$;

-- Failed attempts are throttled BEFORE the credential is looked at (entry,
-- Commerce7 Basic auth, operator secrets): the caller asks whether a key has
-- already failed too often, without counting this request, and counts a hit
-- (hit_rate_limits) only when it fails. Same columns as hit_rate_limits;
-- `hits` is the count so far, `allowed` whether one more attempt may be tried.
create or replace function public.peek_rate_limits(
  p_buckets        text[],
  p_keys           text[],
  p_limits         integer[],
  p_window_seconds integer[],
  p_now            timestamptz default now()
) returns table (bucket text, hits integer, max_hits integer, allowed boolean, retry_after_seconds integer)
language plpgsql stable
set search_path = public, pg_temp
as $$
#variable_conflict use_column
declare
  i integer;
  v_start timestamptz;
  v_end timestamptz;
  v_hits integer;
begin
  if coalesce(array_length(p_buckets, 1), 0) <> coalesce(array_length(p_keys, 1), 0)
     or coalesce(array_length(p_buckets, 1), 0) <> coalesce(array_length(p_limits, 1), 0)
     or coalesce(array_length(p_buckets, 1), 0) <> coalesce(array_length(p_window_seconds, 1), 0) then
    raise exception 'peek_rate_limits: the arrays must have the same length' using errcode = '22023';
  end if;
  for i in 1 .. coalesce(array_length(p_buckets, 1), 0) loop
    if p_window_seconds[i] <= 0 or p_limits[i] <= 0 then
      raise exception 'peek_rate_limits: limits and windows must be positive' using errcode = '22023';
    end if;
    v_start := to_timestamp(floor(extract(epoch from p_now) / p_window_seconds[i]) * p_window_seconds[i]);
    v_end := v_start + make_interval(secs => p_window_seconds[i]);
    select c.hits into v_hits from rate_limit_counters c
     where c.bucket = p_buckets[i] and c.key = left(p_keys[i], 300) and c.window_start = v_start;
    bucket := p_buckets[i];
    hits := coalesce(v_hits, 0);
    max_hits := p_limits[i];
    allowed := coalesce(v_hits, 0) < p_limits[i];
    retry_after_seconds := greatest(1, ceil(extract(epoch from (v_end - p_now)))::integer);
    return next;
  end loop;
end;
$$;

select app_private.restrict_to_service_role(array[
  'list_own_app_sessions', 'revoke_own_app_sessions', 'rotate_app_session', 'peek_rate_limits'
]);
