-- Shopify app sessions, keyed by the session token's `sid`.
--
-- Inside the Shopify admin every request can prove who it is with a session
-- token (App Bridge adds `Authorization: Bearer <JWT>` to the app's fetches;
-- the admin puts one in `id_token` when it frames the app). The token's
-- `sid` names one admin login of one staff member for this app. The app keeps
-- ONE app session per (client, sid): the entry creates it (or gives it a
-- fresh cookie token), and bearer requests find it by sid, with no Shopify
-- call and no new session per request.

alter table public.app_sessions add column if not exists platform_sid text;
create unique index if not exists app_sessions_client_platform_sid_key
  on public.app_sessions (client_id, platform_sid) where platform_sid is not null;

-- The app session for a verified Shopify session token, in one round trip.
--
-- p_entry = true (a document entry from the admin, which will set a cookie):
--   a live session gets the new token hash and fresh lifetimes (a new token
--   at every entry); a revoked, expired or idle one is replaced by a new one,
--   since the admin has just re-authenticated the merchant.
-- p_entry = false (a bearer request): a live session is returned (activity
--   recorded at most once per p_touch_interval_seconds); an expired or idle
--   one is replaced (a valid session token proves the merchant is in the
--   admin right now); a REVOKED one is refused, so revoking a Shopify
--   session is not silently undone by the next background fetch. Its holder
--   gets back in by opening the app from the admin (an entry).
-- A new session stores p_token_hash: for a bearer request that is the hash of
-- a token the app minted and threw away (the session is reached by sid only).
--
-- Concurrency: many parallel App Bridge fetches for a new sid end on ONE
-- session: the unique (client_id, platform_sid) index makes every insert but
-- one do nothing, and the losers read the winner's row.
--
-- status: 'valid' | 'rotated' | 'created' | 'revoked' | 'not_installed' | 'user_mismatch'
create or replace function public.shopify_app_session_for_token(
  p_shop                   text,
  p_sid                    text,
  p_user_id                text,
  p_token_hash             text,
  p_entry                  boolean,
  p_ttl_seconds            integer,
  p_idle_timeout_seconds   integer,
  p_touch_interval_seconds integer default 60,
  p_ip_address             text default null,
  p_user_agent             text default null,
  p_now                    timestamptz default now()
) returns table (status text, session jsonb)
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_row app_sessions%rowtype;
  v_id uuid;
  v_replaced text;
begin
  select c.id into v_client from clients c
   where c.platform = 'shopify' and c.external_id = p_shop and c.install_state = 'installed';
  if not found then
    return query select 'not_installed'::text, null::jsonb;
    return;
  end if;

  for attempt in 1..3 loop
    select * into v_row from app_sessions a
     where a.client_id = v_client and a.platform_sid = p_sid
       for update;

    if found then
      if v_row.user_id is distinct from p_user_id then
        return query select 'user_mismatch'::text, null::jsonb;
        return;
      end if;

      if v_row.revoked_at is not null and not p_entry then
        return query select 'revoked'::text, to_jsonb(v) from app_session_view v where v.id = v_row.id;
        return;
      end if;

      if v_row.revoked_at is null and p_now < v_row.expires_at and p_now < v_row.idle_expires_at then
        if p_entry then
          update app_sessions
             set token_hash       = decode(p_token_hash, 'hex'),
                 idle_timeout_seconds = p_idle_timeout_seconds,
                 last_activity_at = p_now,
                 idle_expires_at  = p_now + make_interval(secs => p_idle_timeout_seconds),
                 expires_at       = p_now + make_interval(secs => p_ttl_seconds),
                 ip_address       = coalesce(p_ip_address, ip_address),
                 user_agent       = coalesce(left(p_user_agent, 512), user_agent),
                 updated_at       = p_now
           where id = v_row.id;
          insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
          values (p_now, 'renewed', v_client, v_row.id, p_user_id, p_ip_address, left(p_user_agent, 512),
                  jsonb_build_object('via', 'shopify_entry'));
          return query select 'rotated'::text, to_jsonb(v) from app_session_view v where v.id = v_row.id;
          return;
        end if;
        -- Bearer: the same throttled touch as validate_app_session.
        if p_now - v_row.last_activity_at >= make_interval(secs => p_touch_interval_seconds) then
          update app_sessions
             set last_activity_at = p_now,
                 idle_expires_at  = p_now + make_interval(secs => idle_timeout_seconds),
                 updated_at       = p_now
           where id = v_row.id;
        end if;
        return query select 'valid'::text, to_jsonb(v) from app_session_view v where v.id = v_row.id;
        return;
      end if;

      -- Revoked (at an entry), expired or idle: replace it.
      v_replaced := case when v_row.revoked_at is not null then 'revoked'
                         when p_now >= v_row.expires_at then 'expired' else 'idle' end;
      delete from app_sessions where id = v_row.id;
    end if;

    insert into app_sessions (token_hash, client_id, platform_sid, user_id, ip_address, user_agent,
                              idle_timeout_seconds, last_activity_at, idle_expires_at, expires_at,
                              created_at, updated_at)
    values (decode(p_token_hash, 'hex'), v_client, p_sid, p_user_id, p_ip_address, left(p_user_agent, 512),
            p_idle_timeout_seconds, p_now, p_now + make_interval(secs => p_idle_timeout_seconds),
            p_now + make_interval(secs => p_ttl_seconds), p_now, p_now)
    on conflict (client_id, platform_sid) where platform_sid is not null do nothing
    returning id into v_id;

    if v_id is not null then
      insert into session_events (occurred_at, event, client_id, session_id, user_id, ip_address, user_agent, detail)
      values (p_now, 'created', v_client, v_id, p_user_id, p_ip_address, left(p_user_agent, 512),
              jsonb_build_object('via', case when p_entry then 'shopify_entry' else 'shopify_bearer' end,
                                 'replaced', v_replaced));
      return query select 'created'::text, to_jsonb(v) from app_session_view v where v.id = v_id;
      return;
    end if;
    -- Another request created this sid's session first: read it on the next pass.
  end loop;

  raise exception 'could not find or create the app session for this Shopify session' using errcode = '40001';
end;
$$;

select app_private.restrict_to_service_role(array['shopify_app_session_for_token']);
