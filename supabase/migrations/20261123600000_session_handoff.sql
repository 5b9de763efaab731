-- The one-time handoff of an app session token to the page, for browsers
-- that refuse the app's cookie inside the admin's iframe (Safari, or any
-- browser blocking third-party cookies).
--
-- Such a page must send its app session token as `Authorization: Bearer`,
-- but the token may never travel in a URL or sit in the HTML. So the entry
-- renders a one-time handoff CODE instead: random, short-lived, single use,
-- and stored here only as its SHA-256. The page POSTs the code back (same
-- origin, /auth/session-handoff) and redeem_app_session_handoff spends it AND
-- gives the session a NEW token in the same statement; that token is
-- answered to the page alone, in a JSON body. Nothing of it is stored but its
-- hash (as for every token). The code is never a credential: no other
-- session function looks at it, and a spent or late code is refused.

alter table public.app_sessions
  add column if not exists handoff_code_hash bytea
    check (handoff_code_hash is null or length(handoff_code_hash) = 32),
  add column if not exists handoff_expires_at timestamptz;
create unique index if not exists app_sessions_handoff_code_hash_key
  on public.app_sessions (handoff_code_hash) where handoff_code_hash is not null;

-- Give a live session a handoff code (its hash) valid for p_ttl_seconds. A
-- new code replaces an unspent one. Returns whether the session was live.
create or replace function public.issue_app_session_handoff(
  p_session_id  uuid,
  p_code_hash   text,        -- hex SHA-256 of the code
  p_ttl_seconds integer,
  p_now         timestamptz default now()
) returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
begin
  if p_ttl_seconds <= 0 then
    raise exception 'the handoff lifetime must be positive' using errcode = '22023';
  end if;
  update app_sessions
     set handoff_code_hash  = decode(p_code_hash, 'hex'),
         handoff_expires_at = p_now + make_interval(secs => p_ttl_seconds)
   where id = p_session_id
     and revoked_at is null and p_now < expires_at and p_now < idle_expires_at;
  return found;
end;
$$;

-- Spend a handoff code and rotate its session to the token whose hash is
-- p_new_token_hash, in one statement. p_cookie_token_hash: the hash of the
-- token the request's cookie carried (null without one); `cookie_matched`
-- says whether it was this session's token until now, i.e. whether the
-- browser kept the entry's cookie.
--
-- status: 'redeemed' | 'unknown' (never issued, or already spent) |
--         'code_expired' | 'revoked' | 'expired' | 'idle' (the session ended)
-- The session row comes back with 'redeemed' and with the session's end.
create or replace function public.redeem_app_session_handoff(
  p_code_hash         text,
  p_new_token_hash    text,
  p_cookie_token_hash text default null,
  p_now               timestamptz default now()
) returns table (status text, cookie_matched boolean, session jsonb)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_id uuid;
  v_cookie boolean;
  v app_sessions%rowtype;
begin
  -- Of two concurrent redemptions of one code, the second waits for the
  -- first's row lock, then finds the code gone: exactly one succeeds.
  update app_sessions a
     set token_hash         = decode(p_new_token_hash, 'hex'),
         handoff_code_hash  = null,
         handoff_expires_at = null,
         last_activity_at   = p_now,
         idle_expires_at    = p_now + make_interval(secs => a.idle_timeout_seconds),
         updated_at         = p_now
    from (select s.id, s.token_hash
            from app_sessions s
           where s.handoff_code_hash = decode(p_code_hash, 'hex')
             for update) old_row
   where a.id = old_row.id
     and p_now < a.handoff_expires_at
     and a.revoked_at is null and p_now < a.expires_at and p_now < a.idle_expires_at
  returning a.id, coalesce(old_row.token_hash = decode(p_cookie_token_hash, 'hex'), false)
    into v_id, v_cookie;

  if v_id is not null then
    insert into session_events (occurred_at, event, client_id, session_id, user_id, detail)
    select p_now, 'renewed', s.client_id, s.id, s.user_id,
           jsonb_build_object('via', 'handoff', 'cookie', v_cookie)
      from app_sessions s where s.id = v_id;
    return query select 'redeemed'::text, v_cookie, to_jsonb(x) from app_session_view x where x.id = v_id;
    return;
  end if;

  -- Not redeemed: say why. A late code stays unusable and dies with its session.
  select * into v from app_sessions s where s.handoff_code_hash = decode(p_code_hash, 'hex');
  if not found then
    return query select 'unknown'::text, false, null::jsonb;
  elsif p_now >= v.handoff_expires_at then
    return query select 'code_expired'::text, false, null::jsonb;
  else
    return query
      select (case when v.revoked_at is not null then 'revoked'
                   when p_now >= v.expires_at then 'expired'
                   else 'idle' end)::text,
             false, to_jsonb(x)
        from app_session_view x where x.id = v.id;
  end if;
end;
$$;

select app_private.restrict_to_service_role(array['issue_app_session_handoff', 'redeem_app_session_handoff']);
