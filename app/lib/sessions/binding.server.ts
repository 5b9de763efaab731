/**
 * Hijack policy (`SESSION_BINDING=off|log|strict`, default `log`).
 *
 * A session keeps the user agent and IP it was created from. After a session
 * validates, the request's values are compared with those in memory: when
 * nothing changed (nearly always) this costs no round trip.
 *
 * | change      | off     | log                              | strict                                  |
 * |-------------|---------|----------------------------------|-----------------------------------------|
 * | user agent  | nothing | `suspicious` logged and recorded | `suspicious` recorded, session revoked, request refused as revoked |
 * | IP address  | nothing | `ip_changed` logged and recorded | `ip_changed` logged and recorded        |
 *
 * IP changes are never fatal: phones move between networks and dual-stack
 * browsers alternate IPv4 and IPv6. A user-agent change is rarer: a stolen
 * cookie replayed from another client, or a browser that updated itself
 * (its merchant then re-opens the app from the admin, which is seamless).
 *
 * Each new (user agent, IP) pair is recorded once per session: the database
 * refuses a second row for the same pair, and this instance remembers the
 * pairs it has seen, so a changed network costs one write, not one per
 * request. The session row itself keeps where it started (the sessions page
 * shows that).
 */
import { LRUCache } from "lru-cache";
import { logBindingChange, logSessionEvent } from "~/lib/operations/audit.server";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { AppSessionRecord } from "~/lib/db/store.server";
import { env } from "~/lib/env.server";
import { clientIp, userAgent } from "~/lib/sessions/request-context.server";

export type BindingMode = "off" | "log" | "strict";

export function bindingMode(): BindingMode {
  return env().SESSION_BINDING;
}

/** (session, event, IP, agent) already recorded by this instance. */
const recorded = new LRUCache<string, true>({ max: 20_000, ttl: 24 * 3600_000 });

/**
 * Compare the request with the session it presented. Resolves to "ok" (go
 * on) or "revoked" (strict mode revoked the session: refuse the request as
 * revoked). Writes only when something changed, once per new value pair.
 */
export async function checkSessionBinding(
  request: Request,
  session: AppSessionRecord,
): Promise<"ok" | "revoked"> {
  const mode = bindingMode();
  if (mode === "off") return "ok";

  const ip = clientIp(request);
  // A request without a User-Agent counts as the empty one, so stripping
  // the header does not escape strict mode.
  const agent = userAgent(request) ?? "";
  // A session created without a user agent (a server-side client) has
  // nothing to be bound to; nor has one created without an address.
  const agentChanged = session.userAgent !== null && agent !== session.userAgent;
  const ipChanged = session.ipAddress !== null && ip !== null && ip !== session.ipAddress;
  if (!agentChanged && !ipChanged) return "ok";

  const event = agentChanged ? "suspicious" : "ip_changed";
  const revoke = agentChanged && mode === "strict";
  const key = `${session.id}:${event}:${ip ?? ""}:${agent}`;
  if (!revoke && recorded.has(key)) return "ok";

  const detail = {
    mode,
    userAgentChanged: agentChanged,
    ipChanged,
    sessionIp: ipChanged ? session.ipAddress : undefined,
    sessionUserAgent: agentChanged ? session.userAgent : undefined,
  };
  const store = await getStore();
  const outcome = await store.noteSessionBindingChange(
    {
      sessionId: session.id,
      event,
      ipAddress: ip,
      userAgent: agent,
      revoke,
      detail: Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined)),
    },
    now(),
  );
  if (outcome === "recorded" || outcome === "revoked") logBindingChange(event, request, session, { ...detail, revoked: revoke });
  if (outcome === "revoked") logSessionEvent("revoked", { subject: session, request, detail: { reason: "suspicious" } });
  if (outcome === "recorded" || outcome === "already_recorded") recorded.set(key, true);
  // Revoked here, or concurrently by someone else: either way not usable now.
  return outcome === "revoked" || outcome === "not_live" ? "revoked" : "ok";
}

/** Tests: forget the pairs this instance has seen. */
export function resetBindingMemory(): void {
  recorded.clear();
}
