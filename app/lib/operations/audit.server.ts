/**
 * The audit trail: what happened to which session, for whom, from where.
 *
 * Every event is one structured pino line (`event: "session.<kind>"`, with
 * client, session id, user id, IP, user agent, request id and path — never
 * the query string, which carries `id_token` / `account`) and one
 * `session_events` row. Who writes the row:
 *
 * | event                                   | row written by                                   |
 * |-----------------------------------------|--------------------------------------------------|
 * | created, renewed, revoked, logged_out, uninstalled | the SQL function that did it (same transaction); here: `logSessionEvent` |
 * | expired, idle                           | `recordSessionEnded`, once per session           |
 * | auth_failed                             | `recordAuthFailure`                              |
 * | suspicious, ip_changed                  | the hijack policy (session-binding.server.ts)    |
 * | rate_limited                            | `recordRateLimited`                              |
 *
 * Unauthenticated traffic must not turn into unbounded database writes, so
 * auth_failed and rate_limited rows are throttled per instance: at most one
 * row per (event, reason, IP) per minute. Every occurrence is still logged
 * and counted in the metrics.
 *
 * No token, cookie value, secret or access token is ever passed here; as a
 * safety net, string details that look like a JWT or an opaque credential
 * are replaced by "[redacted]" (shopify-api's errors quote whole tokens).
 */
import { LRUCache } from "lru-cache";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { AppSessionRecord } from "~/lib/db/store.server";
import { logger } from "~/lib/log.server";
import { metrics } from "~/lib/operations/metrics.server";
import { clientIp, requestId, userAgent } from "~/lib/sessions/request-context.server";

/** Why an authentication attempt failed. Platform code passes jwt, hmac or basic_auth. */
export type AuthFailureKind =
  | "bad_cookie" // a session cookie that is not one we signed, or not a token
  | "unknown_token" // a well-formed Bearer token no session has
  | "unrecognized_bearer" // a Bearer value no platform resolver accepted
  | "jwt" // a platform session token (Shopify id_token / Bearer, Commerce7 account) that failed verification
  | "hmac" // a signed query string or webhook body whose signature did not match
  | "oauth_state" // an OAuth callback whose state nonce is unknown, reused, expired or for another shop
  | "basic_auth" // Commerce7 activation / webhook Basic auth that did not match
  | "operator_token" // CRON_SECRET / METRICS_TOKEN that did not match
  | "handoff_code"; // a one-time handoff code that is unknown, already spent or late (session-handoff.server.ts)

export type SessionEventKind =
  | "created"
  | "renewed"
  | "expired"
  | "idle"
  | "revoked"
  | "logged_out"
  | "uninstalled"
  | "auth_failed"
  | "suspicious"
  | "ip_changed"
  | "rate_limited";

export type AuditDetail = Record<string, string | number | boolean | null | undefined>;

/** The session an event is about (an AppSessionRecord, or just its ids). */
export type AuditSubject = Pick<AppSessionRecord, "id" | "clientId"> &
  Partial<Pick<AppSessionRecord, "userId" | "platform">>;

const WARN_EVENTS = new Set<SessionEventKind>(["auth_failed", "suspicious", "rate_limited"]);

// --- redaction ---------------------------------------------------------------

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g;
const OPAQUE_RUN = /[A-Za-z0-9+/_-]{32,}={0,2}/g;
const MAX_DETAIL_STRING = 200;

/** Replace anything shaped like a credential (JWT, long mixed-case/hex run) with "[redacted]". */
export function redactCredentials(text: string): string {
  return text.replace(JWT_LIKE, "[redacted]").replace(OPAQUE_RUN, (run) => {
    const mixed = /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
    const hex = /^[0-9a-fA-F]+$/.test(run);
    return mixed || hex ? "[redacted]" : run;
  });
}

function scrub(detail: AuditDetail | undefined): Record<string, string | number | boolean | null> {
  const clean: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(detail ?? {})) {
    if (value === undefined) continue;
    clean[key] = typeof value === "string" ? redactCredentials(value).slice(0, MAX_DETAIL_STRING) : value;
  }
  return clean;
}

// --- fields ------------------------------------------------------------------

interface RequestFields {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  method: string;
  path: string;
}

/** Where a request came from. The path only: query strings carry platform tokens. */
export function requestFields(request: Request): RequestFields {
  let path = "";
  try {
    path = new URL(request.url).pathname;
  } catch {
    // an unparsable URL never reaches here through Remix; keep the field empty
  }
  return {
    ip: clientIp(request),
    userAgent: userAgent(request),
    requestId: requestId(request),
    method: request.method,
    path,
  };
}

function write(event: SessionEventKind, fields: Record<string, unknown>, message: string): void {
  const line = { event: `session.${event}`, ...fields };
  if (WARN_EVENTS.has(event)) logger.warn(line, message);
  else logger.info(line, message);
}

async function storeRow(
  event: SessionEventKind,
  subject: Partial<AuditSubject> | null,
  request: Request | null,
  detail: Record<string, unknown>,
  options: { once?: boolean } = {},
): Promise<boolean> {
  try {
    const store = await getStore();
    const row = {
      event,
      clientId: subject?.clientId ?? null,
      sessionId: subject?.id ?? null,
      userId: subject?.userId ?? null,
      ipAddress: request ? clientIp(request) : null,
      userAgent: request ? userAgent(request) : null,
      detail,
    };
    if (options.once && row.sessionId) await store.recordSessionEventOnce({ ...row, sessionId: row.sessionId }, now());
    else await store.recordSessionEvent(row, now());
    return true;
  } catch (error) {
    // The audit row is secondary to answering the request; the log line stands.
    logger.warn({ event: "audit.write_failed", auditEvent: event, err: (error as Error).message }, "audit row not written");
    return false;
  }
}

function subjectFields(subject: Partial<AuditSubject> | null | undefined) {
  if (!subject) return {};
  return {
    sessionId: subject.id ?? null,
    clientId: subject.clientId ?? null,
    userId: subject.userId ?? null,
    platform: subject.platform,
  };
}

// --- events whose row a SQL function already wrote ---------------------------

/**
 * Log an event whose `session_events` row the SQL function that caused it
 * already wrote (created, renewed, revoked, logged_out, uninstalled), and
 * count it. Writes nothing to the database.
 */
export function logSessionEvent(
  event: Extract<SessionEventKind, "created" | "renewed" | "revoked" | "logged_out" | "uninstalled">,
  input: { subject?: Partial<AuditSubject> | null; request?: Request | null; detail?: AuditDetail; count?: number },
): void {
  const m = metrics();
  const detail = scrub(input.detail);
  const count = input.count ?? 1;
  if (event === "created") m.sessionsCreated.inc({ platform: input.subject?.platform ?? "unknown" });
  if (event === "revoked" && count > 0) m.sessionsRevoked.inc({ reason: String(detail.reason ?? "revoked") }, count);
  if (event === "logged_out") m.sessionsLoggedOut.inc();
  write(
    event,
    { ...subjectFields(input.subject), ...(input.request ? requestFields(input.request) : {}), ...detail, ...(count !== 1 ? { count } : {}) },
    `app session ${event.replace("_", " ")}`,
  );
}

// --- events recorded here ----------------------------------------------------

/** Sessions whose end this instance already recorded (skips even the read). */
const endedRecorded = new LRUCache<string, true>({ max: 10_000, ttl: 24 * 3600_000 });

/**
 * A session presented after it ended (absolute limit or idle timeout): logged
 * every time, one `session_events` row per session. Only refusals come here;
 * a valid session check never writes.
 */
export async function recordSessionEnded(
  request: Request,
  session: AuditSubject,
  reason: "expired" | "idle",
): Promise<void> {
  metrics().sessionsExpired.inc({ reason });
  write(reason, { ...subjectFields(session), ...requestFields(request) }, "app session refused: it has ended");
  const key = `${session.id}:${reason}`;
  if (endedRecorded.has(key)) return;
  if (await storeRow(reason, session, request, {}, { once: true })) endedRecorded.set(key, true);
}

/** (event, reason, IP) keys that got a row in the last minute on this instance. */
const noisyRecorded = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });

async function recordNoisy(
  event: "auth_failed" | "rate_limited",
  request: Request,
  throttleKey: string,
  subject: Partial<AuditSubject> | null,
  detail: Record<string, string | number | boolean | null>,
): Promise<void> {
  const key = `${event}:${throttleKey}:${clientIp(request) ?? "-"}`;
  if (noisyRecorded.has(key)) return;
  noisyRecorded.set(key, true);
  await storeRow(event, subject, request, detail);
}

/**
 * A failed authentication: the one function platform code calls when a
 * credential does not verify (a Shopify session token / id_token, an HMAC, a
 * Commerce7 account token or Basic auth pair). `kind` is the class of
 * credential (the metric's `reason` label, the row's `detail.kind`); say
 * what went wrong in words in `detail.reason` ("signature mismatch",
 * "expired"), never the value that failed. Logged and counted every time; the audit row is throttled (see
 * above). Never throws.
 */
export async function recordAuthFailure(
  request: Request,
  kind: AuthFailureKind,
  detail: AuditDetail & { clientId?: string | null } = {},
): Promise<void> {
  const { clientId, ...rest } = detail;
  const clean = { ...scrub(rest), kind };
  metrics().authFailures.inc({ reason: kind });
  write("auth_failed", { clientId: clientId ?? null, ...requestFields(request), ...clean }, "authentication failed");
  await recordNoisy("auth_failed", request, kind, clientId ? { clientId } : null, clean);
}

/** A request refused with 429. `key` says which limit (ip or client); never throws. */
export async function recordRateLimited(
  request: Request,
  bucket: string,
  detail: { limit: string; retryAfterSeconds: number; clientKey?: string | null },
): Promise<void> {
  metrics().rateLimited.inc({ bucket });
  const clean = scrub({ bucket, limit: detail.limit, retryAfterSeconds: detail.retryAfterSeconds, client: detail.clientKey ?? undefined });
  write("rate_limited", { ...requestFields(request), ...clean }, "request refused: rate limit");
  await recordNoisy("rate_limited", request, `${bucket}:${detail.limit}`, null, clean);
}

/**
 * A live session presented with another user agent (suspicious) or IP
 * (ip_changed): the log line and metric. The row is written by
 * note_session_binding_change in the same round trip that records the new
 * values or revokes the session.
 */
export function logBindingChange(
  event: "suspicious" | "ip_changed",
  request: Request,
  session: AuditSubject,
  detail: AuditDetail,
): void {
  metrics().suspicious.inc({ event });
  write(event, { ...subjectFields(session), ...requestFields(request), ...scrub(detail) }, event === "suspicious"
    ? "session presented with another user agent"
    : "session presented from another IP address");
}

/** Tests: forget what was recorded, so each test starts from zero. */
export function resetAuditThrottle(): void {
  endedRecorded.clear();
  noisyRecorded.clear();
}
