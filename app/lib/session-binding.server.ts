/**
 * Hijack policy (`SESSION_BINDING=off|log|strict`, default `log`).
 *
 * A session remembers the user agent and IP it was last used from. After a
 * session validates, the request's values are compared with the session's
 * in memory: when nothing changed (nearly always) this costs no round trip.
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
 * After a change is recorded, the session remembers the new values, so one
 * change is reported once rather than on every later request.
 */
import { logBindingChange, logSessionEvent } from "~/lib/audit.server";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { AppSessionRecord } from "~/lib/db/store.server";
import { env } from "~/lib/env.server";
import { clientIp, userAgent } from "~/lib/request-context.server";

export type BindingMode = "off" | "log" | "strict";

export function bindingMode(): BindingMode {
  return env().SESSION_BINDING;
}

/**
 * Compare the request with the session it presented. Resolves to "ok" (go
 * on) or "revoked" (strict mode revoked the session: refuse the request as
 * revoked). Writes only when something changed.
 */
export async function checkSessionBinding(
  request: Request,
  session: AppSessionRecord,
): Promise<"ok" | "revoked"> {
  const mode = bindingMode();
  if (mode === "off") return "ok";

  const ip = clientIp(request);
  // A request without a User-Agent counts as the empty one (and is stored
  // so), so stripping the header neither escapes strict mode nor makes every
  // later request look changed.
  const agent = userAgent(request) ?? "";
  // A session created without a user agent (a server-side client) has
  // nothing to be bound to.
  const agentChanged = session.userAgent !== null && agent !== session.userAgent;
  const ipChanged = session.ipAddress !== null && ip !== null && ip !== session.ipAddress;
  if (!agentChanged && !ipChanged) return "ok";

  const event = agentChanged ? "suspicious" : "ip_changed";
  const revoke = agentChanged && mode === "strict";
  const detail = {
    mode,
    userAgentChanged: agentChanged,
    ipChanged,
    previousIp: ipChanged ? session.ipAddress : undefined,
    previousUserAgent: agentChanged ? session.userAgent : undefined,
  };
  logBindingChange(event, request, session, { ...detail, revoked: revoke });
  const store = await getStore();
  const live = await store.noteSessionBindingChange(
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
  if (revoke && live) logSessionEvent("revoked", { subject: session, request, detail: { reason: "suspicious" } });
  // Revoked here, or concurrently by someone else: either way not usable now.
  return revoke || !live ? "revoked" : "ok";
}
