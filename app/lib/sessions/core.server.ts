/**
 * App sessions: who is using the app now.
 *
 * The rules, in a few lines (the SQL functions in supabase/migrations hold
 * them, so every backend applies them identically in one round trip):
 *   - a token is 32 random bytes (base64url); the database keeps its SHA-256;
 *   - a session ends at its absolute limit (8 h, remember-me 30 d) or after
 *     its idle timeout (30 min, remember-me 7 d) without a request;
 *   - activity is written at most once per APP_SESSION_TOUCH_SECONDS, so most
 *     requests are a single read;
 *   - every login is a new token; a token the server did not issue is never
 *     adopted; a revoked or logged-out token stops working on its next request.
 */
import { createHash, randomBytes } from "node:crypto";
import { parse as parseCookies, serialize as serializeCookie } from "cookie";
import { sign as signCookie, unsign as unsignCookie } from "cookie-signature";
import { logSessionEvent, recordAuthFailure, recordSessionEnded } from "~/lib/operations/audit.server";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { AppSessionPatch, AppSessionRecord, Theme } from "~/lib/db/store.server";
import { refuseEntryOutsideAdmin } from "~/lib/sessions/entry-guard.server";
import { env } from "~/lib/env.server";
import { originOf, sessionRequiredResponse, withDatabase, type SessionEndReason } from "~/lib/http.server";
import { metrics } from "~/lib/operations/metrics.server";
import { enforceRateLimit, throttlingFailures } from "~/lib/operations/rate-limit.server";
import { clientIp, queueSetCookie, requestContext, userAgent } from "~/lib/sessions/request-context.server";
import { checkSessionBinding } from "~/lib/sessions/binding.server";

export { clientIp, userAgent };
export { cleanupExpiredSessions, type CleanupOptions, type CleanupResult } from "~/lib/operations/cleanup.server";

export type AppSession = AppSessionRecord & {
  /** How this request proved the session: our cookie, or a Bearer header. */
  via: "cookie" | "bearer" | "entry";
  /**
   * Set by an entry whose page must be handed the new session's token (a
   * platform without a bearer of its own): the one-time code the page
   * redeems, never the token (session-handoff.server.ts).
   */
  handoffCode?: string | null;
};

export interface SessionUser {
  id?: string | null;
  name?: string | null;
  email?: string | null;
}

/** 43 base64url characters: exactly what generateSessionToken makes. Anything else is not a session. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Bigger Authorization / Cookie values are not looked at at all. */
const MAX_CREDENTIAL_LENGTH = 4096;

export function generateSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function isSessionTokenShape(value: unknown): value is string {
  return typeof value === "string" && TOKEN_SHAPE.test(value);
}

// --- settings ----------------------------------------------------------------

export interface SessionLifetimes {
  ttlSeconds: number;
  idleTimeoutSeconds: number;
}

export function sessionLifetimes(rememberMe: boolean): SessionLifetimes {
  const e = env();
  if (!rememberMe) {
    return { ttlSeconds: e.APP_SESSION_TTL_HOURS * 3600, idleTimeoutSeconds: e.APP_SESSION_IDLE_MINUTES * 60 };
  }
  const ttlSeconds = e.APP_SESSION_REMEMBER_DAYS * 86400;
  return { ttlSeconds, idleTimeoutSeconds: Math.min(ttlSeconds, e.APP_SESSION_REMEMBER_IDLE_DAYS * 86400) };
}

// --- cookie ------------------------------------------------------------------

/**
 * The cookie rides inside the admin's iframe, so it is third-party there:
 * `SameSite=None; Secure; Partitioned`, with the `__Host-` prefix. Plain-http
 * localhost in development cannot be Secure, so there it is `app_session`
 * with SameSite=Lax (the sandbox admin frames the app from the same site).
 *
 * The value is `<token>.<HMAC-SHA256 with SESSION_SECRET>` (cookie-signature,
 * the signing Express uses; synchronous node:crypto, compared in constant
 * time), so a value we did not issue is refused before any lookup. Secrets
 * rotate: the first signs, every listed one verifies.
 */
export function cookieIsSecure(): boolean {
  const e = env();
  return e.isProduction || e.APP_URL.startsWith("https://");
}

export function sessionCookieName(): string {
  return cookieIsSecure() ? "__Host-app_session" : "app_session";
}

function serializeSessionCookie(value: string, maxAge: number | undefined): string {
  const secure = cookieIsSecure();
  return serializeCookie(sessionCookieName(), value, {
    httpOnly: true,
    path: "/",
    secure,
    sameSite: secure ? "none" : "lax",
    partitioned: secure,
    maxAge,
  });
}

/** Set-Cookie for a new session. Without remember-me it has no Max-Age: it dies with the browser. */
export function createSessionCookie(token: string, options: { rememberMe?: boolean } = {}): string {
  const maxAge = options.rememberMe ? sessionLifetimes(true).ttlSeconds : undefined;
  return serializeSessionCookie(signCookie(token, env().SESSION_SECRET[0]), maxAge);
}

/** Set-Cookie that removes the session cookie (Max-Age=0). */
export function clearSessionCookie(): string {
  return serializeSessionCookie("", 0);
}

/** The token a signed cookie value carries, if one of our secrets signed it. */
function unsignSessionCookie(value: string): string | null {
  for (const secret of env().SESSION_SECRET) {
    const token = unsignCookie(value, secret);
    if (token !== false) return token;
  }
  return null;
}

// --- reading the credential --------------------------------------------------

type Credential = { kind: "cookie" | "bearer"; token: string } | { kind: "none"; cookieSent: boolean };

/**
 * Platform modules plug in here (app/lib/platforms/shopify.server.ts,
 * app/lib/platforms/commerce7.server.ts), so the session module knows no platform:
 *
 * - an EntryHandler recognises a platform's entry (the admin framing
 *   `/app?…` with its signed parameters), verifies it, calls
 *   admitVerifiedEntry with the shop or tenant the platform vouched for, and
 *   starts a session with startAppSession; it throws a Response when the
 *   entry is refused (a 4xx counts against the IP's failed entries);
 * - a BearerResolver turns a platform credential sent as
 *   `Authorization: Bearer …` (a Shopify session token) into the app session
 *   it maps to, or throws a Response.
 */
export interface EntryHandler {
  name: string;
  /** Does this request carry this platform's entry parameters? (cheap; no I/O) */
  matches(request: Request): boolean;
  /**
   * May the request's own live session (already checked against the hijack
   * policy) serve this entry as it is, with no platform call and no entry
   * rate-limit hit? E.g. Remix revalidations of a page whose URL still holds
   * the entry parameters. Omitted: every matching request is a new entry.
   */
  reuses?(request: Request, session: AppSession): boolean;
  enter(request: Request): Promise<AppSession>;
}
export type BearerResolver = (request: Request, bearer: string) => Promise<AppSession | null>;

const entryHandlers = new Map<string, EntryHandler>();
const bearerResolvers = new Map<string, BearerResolver>();

export function registerEntryHandler(handler: EntryHandler): void {
  entryHandlers.set(handler.name, handler);
}
export function registerBearerResolver(name: string, resolver: BearerResolver): void {
  bearerResolvers.set(name, resolver);
}

function bearerOf(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (!header || header.length > MAX_CREDENTIAL_LENGTH) return null;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return match ? match[1] : null;
}

function readCookie(request: Request): Credential {
  const header = request.headers.get("cookie");
  if (!header) return { kind: "none", cookieSent: false };
  const name = sessionCookieName();
  if (!header.includes(`${name}=`)) return { kind: "none", cookieSent: false };
  if (header.length > MAX_CREDENTIAL_LENGTH * 2) return { kind: "none", cookieSent: true };
  const value = parseCookies(header)[name];
  const token = value ? unsignSessionCookie(value) : null;
  return isSessionTokenShape(token) ? { kind: "cookie", token } : { kind: "none", cookieSent: value !== undefined };
}

function readCredential(request: Request): Credential {
  const bearer = bearerOf(request);
  if (bearer !== null && isSessionTokenShape(bearer)) return { kind: "bearer", token: bearer };
  return readCookie(request);
}

/**
 * The token the request's session cookie carries (signed by us, well formed),
 * whatever else the request carries; null without one. No lookup. For the
 * handoff (session-handoff.server.ts), which asks whether the browser kept
 * the entry's cookie.
 */
export function sessionCookieToken(request: Request): string | null {
  const credential = readCookie(request);
  return credential.kind === "cookie" ? credential.token : null;
}

// --- the session API ---------------------------------------------------------

export interface NewSessionInput {
  request: Request;
  clientId: string;
  user?: SessionUser;
  theme?: Theme;
  rememberMe?: boolean;
  data?: Record<string, unknown>;
}

/** Create a session with a fresh token (never one the request carried). */
export async function createAppSession(
  input: NewSessionInput,
): Promise<{ session: AppSessionRecord; token: string; setCookie: string }> {
  const token = generateSessionToken();
  const rememberMe = input.rememberMe ?? false;
  const store = await getStore();
  const session = await store.createAppSession(
    {
      tokenHash: hashSessionToken(token),
      clientId: input.clientId,
      ...sessionLifetimes(rememberMe),
      userId: input.user?.id ?? null,
      userName: input.user?.name ?? null,
      userEmail: input.user?.email ?? null,
      theme: input.theme,
      ipAddress: clientIp(input.request),
      userAgent: userAgent(input.request),
      rememberMe,
      data: input.data,
    },
    now(),
  );
  logSessionEvent("created", { subject: session, request: input.request, detail: { rememberMe } });
  return { session, token, setCookie: createSessionCookie(token, { rememberMe }) };
}

export type SessionLookup =
  | { session: AppSession; reason: null }
  | {
      session: null;
      reason: SessionEndReason;
      cookieSent: boolean;
      ended: AppSessionRecord | null;
      /** What the request carried: nothing, a cookie we did not sign (or not a token), or a token. */
      credential: "none" | "bad_cookie" | "cookie" | "bearer";
    };

/** The request's app session, or why there is none. Never throws for bad input. */
export async function getAppSession(request: Request): Promise<SessionLookup> {
  const credential = readCredential(request);
  if (credential.kind === "none") {
    const cookieSent = credential.cookieSent;
    return { session: null, reason: "unauthenticated", cookieSent, ended: null, credential: cookieSent ? "bad_cookie" : "none" };
  }
  const store = await getStore();
  const { status, session } = await store.validateAppSession(
    hashSessionToken(credential.token),
    env().APP_SESSION_TOUCH_SECONDS,
    now(),
  );
  const cookieSent = credential.kind === "cookie";
  switch (status) {
    case "valid":
      return { session: { ...(session as AppSessionRecord), via: credential.kind }, reason: null };
    case "unknown":
      return { session: null, reason: "unauthenticated", cookieSent, ended: null, credential: credential.kind };
    default:
      return { session: null, reason: status, cookieSent, ended: session, credential: credential.kind };
  }
}

type Outcome = { session: AppSession } | { refusal: Response };

/**
 * The request's app session, or a thrown Response: a redirect to
 * `/?reason=…` for documents, 401 JSON for data and API requests, 503 when
 * the database is unreachable. Every protected loader and action calls this
 * itself; the loaders of one request share one resolution (one lookup, one
 * platform verification), see request-context.server.ts.
 */
export async function requireAppSession(request: Request): Promise<AppSession> {
  const context = requestContext(request);
  let pending = context?.session as Promise<Outcome> | undefined;
  if (!pending) {
    pending = resolveAppSession(request);
    if (context) context.session = pending;
  }
  const outcome = await pending;
  // A Response body can be read once; each caller throws its own copy.
  if ("refusal" in outcome) throw outcome.refusal.clone();
  return outcome.session;
}

async function resolveAppSession(request: Request): Promise<Outcome> {
  // Once per request (memoised above): the latency of the session check itself.
  const observe = metrics().requireSessionSeconds.startTimer();
  try {
    const session = await findOrEnterSession(request);
    observe({ outcome: session.via });
    return { session };
  } catch (thrown) {
    observe({ outcome: thrown instanceof Response ? "refused" : "error" });
    if (thrown instanceof Response) return { refusal: thrown };
    throw thrown;
  }
}

/**
 * The request's session and, if it is valid, whether it passes the hijack
 * policy (compared with the request in memory; writes only on a change).
 */
async function lookUpBoundSession(request: Request): Promise<{ lookup: SessionLookup; bound: AppSession | null }> {
  const lookup = await getAppSession(request);
  const bound = lookup.session && (await checkSessionBinding(request, lookup.session)) === "ok" ? lookup.session : null;
  return { lookup, bound };
}

async function findOrEnterSession(request: Request): Promise<AppSession> {
  return withDatabase(async () => {
    if (request.method === "GET") {
      for (const handler of entryHandlers.values()) {
        if (handler.matches(request)) {
          refuseEntryOutsideAdmin(request, handler.name); // login CSRF: only a frame or our own pages may enter
          if (handler.reuses) {
            const { bound } = await lookUpBoundSession(request);
            if (bound && handler.reuses(request, bound)) return bound;
          }
          // An entry verifies with the platform and creates a session. Before
          // verification only the IP is counted (every attempt, and its failures);
          // the tenant is counted by the handler once the platform vouched
          // (admitVerifiedEntry), so forged entries cannot spend a merchant's budget.
          return await throttlingFailures(request, "entry", async () => {
            await enforceRateLimit(request, "entry");
            return handler.enter(request);
          });
        }
      }
    }

    const bearer = bearerOf(request);
    if (bearer !== null && !isSessionTokenShape(bearer)) {
      for (const resolve of bearerResolvers.values()) {
        const session = await resolve(request, bearer);
        if (session) return session;
      }
      await recordAuthFailure(request, "unrecognized_bearer", { reason: "no platform accepted the bearer value" });
      throw sessionRequiredResponse(request, "unauthenticated");
    }

    const { lookup, bound } = await lookUpBoundSession(request);
    if (bound) return bound;

    const reason: SessionEndReason = lookup.session ? "revoked" : lookup.reason;
    if (!lookup.session) {
      if (lookup.ended && (lookup.reason === "expired" || lookup.reason === "idle")) {
        await recordSessionEnded(request, lookup.ended, lookup.reason);
      } else if (lookup.credential === "bad_cookie") {
        await recordAuthFailure(request, "bad_cookie", { reason: "cookie not signed by this app or not a session token" });
      } else if (lookup.credential === "bearer" && !lookup.ended) {
        await recordAuthFailure(request, "unknown_token", { reason: "no session has this token" });
      }
    }
    const headers = new Headers();
    const cookieSent = lookup.session ? lookup.session.via === "cookie" : lookup.cookieSent;
    if (cookieSent) headers.append("Set-Cookie", clearSessionCookie());
    const ended = lookup.session ?? lookup.ended;
    const origin = ended ? originOf(ended) : null;
    throw sessionRequiredResponse(request, reason, headers, origin);
  });
}

/**
 * For entry handlers, once the platform has vouched for the shop or tenant
 * (and before anything is created or any further platform call is made):
 * count the entry against that tenant's limit (RATE_LIMIT_ENTRY_CLIENT);
 * throws 429 over it. Entries that fail verification never reach this.
 */
export async function admitVerifiedEntry(request: Request, clientKey: string): Promise<void> {
  await enforceRateLimit(request, "entry_verified", { client: clientKey });
}

/**
 * For entry handlers: a new session for a verified platform user, its cookie
 * queued on this request's response, and the session this browser's cookie
 * carried before (if any) destroyed, since the cookie now points elsewhere.
 */
export async function startAppSession(
  input: NewSessionInput,
): Promise<{ session: AppSession; token: string; setCookie: string }> {
  // The session this browser's cookie carries, which the new one replaces.
  const previous = await getAppSession(input.request).catch(() => null);
  // "Keep me signed in", chosen on this device by this user, survives opening the app again.
  const carried =
    previous?.session?.clientId === input.clientId &&
    previous.session.userId === (input.user?.id ?? null) &&
    previous.session.rememberMe;
  const rememberMe = input.rememberMe ?? carried;
  return enterAppSession(input.request, await createAppSession({ ...input, rememberMe }), previous);
}

/**
 * For entry handlers that store the session themselves (Shopify keeps one
 * session per admin login, keyed by the session token's sid, and gives it a
 * new token at every entry): `issued.token` must have been minted by this
 * entry, its hash stored on `issued.session`. Queues the cookie on this
 * request's response, and destroys the session this browser's cookie carried
 * before if that was another one, since the cookie now points elsewhere.
 */
export async function enterAppSession(
  request: Request,
  issued: { session: AppSessionRecord; token: string; setCookie: string },
  known?: SessionLookup | null,
): Promise<{ session: AppSession; token: string; setCookie: string }> {
  // The request still carries the previous cookie (a rotated session's old token is already unknown).
  const previous = known !== undefined ? known : await getAppSession(request).catch(() => null);
  queueSetCookie(request, issued.setCookie);
  if (previous?.session && previous.session.via === "cookie" && previous.session.id !== issued.session.id) {
    const store = await getStore();
    await store.destroyAppSession(previous.session.id, "replaced", now());
  }
  return { ...issued, session: { ...issued.session, via: "entry" } };
}

/**
 * The app session this request has already resolved (by a loader's
 * requireAppSession), or null if none was asked for or it was refused. Never
 * starts a resolution itself. entry.server.tsx uses it for the response
 * headers (the verified shop in frame-ancestors).
 */
export async function resolvedAppSession(request: Request): Promise<AppSession | null> {
  const pending = requestContext(request)?.session as Promise<Outcome> | undefined;
  if (!pending) return null;
  const outcome = await pending.catch(() => null);
  return outcome && "session" in outcome ? outcome.session : null;
}

/**
 * Log out: destroy the session (the request's own, or the one given) and
 * return the headers that clear its cookie.
 */
export async function destroyAppSession(
  request: Request,
  options: { session?: AppSessionRecord | null; reason?: "logged_out" } = {},
): Promise<{ destroyed: AppSessionRecord | null; headers: Headers }> {
  return withDatabase(async () => {
    const session = options.session !== undefined ? options.session : (await getAppSession(request)).session;
    let destroyed: AppSessionRecord | null = null;
    if (session) {
      const store = await getStore();
      if ((await store.destroyAppSession(session.id, options.reason ?? "logged_out", now())) > 0) {
        destroyed = session;
        logSessionEvent("logged_out", { subject: session, request });
      }
    }
    const headers = new Headers({ "Set-Cookie": clearSessionCookie(), "Cache-Control": "no-store" });
    return { destroyed, headers };
  });
}

/** Change what a live session carries (theme, user details, data). */
export async function updateAppSession(sessionId: string, patch: AppSessionPatch): Promise<AppSessionRecord | null> {
  return withDatabase(async () => (await getStore()).updateAppSession(sessionId, patch, now()));
}

/**
 * Give a live session a new token (and new lifetimes), e.g. "keep me signed
 * in on this device". The old token stops working at once.
 */
export async function rotateAppSession(
  sessionId: string,
  options: { rememberMe: boolean },
): Promise<{ session: AppSessionRecord; token: string; setCookie: string } | null> {
  const token = generateSessionToken();
  const session = await withDatabase(async () =>
    (await getStore()).rotateAppSession(
      sessionId,
      hashSessionToken(token),
      { ...sessionLifetimes(options.rememberMe), rememberMe: options.rememberMe },
      now(),
    ),
  );
  if (!session) return null;
  logSessionEvent("renewed", { subject: session, detail: { rememberMe: options.rememberMe } });
  return { session, token, setCookie: createSessionCookie(token, options) };
}

// --- the merchant's own sessions (/app/sessions) -----------------------------

/**
 * The live sessions `session` may see: its own user's, in its own client; a
 * session without a user (the Shopify install's) sees only itself. The scope
 * is decided in SQL from the session id alone, so no caller can widen it.
 */
export async function listOwnSessions(session: AppSessionRecord): Promise<AppSessionRecord[]> {
  return withDatabase(async () => (await getStore()).listOwnAppSessions(session.id, now()));
}

/**
 * End one of the own user's other sessions (`{ sessionId }`) or all of them
 * (`{ allOthers: true }`); never another user's, never another client's, never
 * `session` itself (that is logout). Resolves to the number ended.
 */
export async function revokeOwnSessions(
  session: AppSessionRecord,
  target: { sessionId: string } | { allOthers: true },
): Promise<number> {
  const targetId = "sessionId" in target ? target.sessionId : null;
  const count = await withDatabase(async () =>
    (await getStore()).revokeOwnAppSessions(session.id, targetId, "revoked_by_user", now()),
  );
  if (count > 0) logSessionEvent("revoked", {
    subject: { id: targetId ?? undefined, clientId: session.clientId, userId: session.userId ?? undefined },
    detail: { reason: "revoked_by_user", exceptSessionId: targetId ? undefined : session.id },
    count,
  });
  return count;
}

// --- operators: any client, any user ----------------------------------------

/**
 * Revoke one, all, or all-but-one of a client's (or one user's) sessions.
 * Operator scope: `userId` null means EVERY user of the client. A merchant's
 * own session uses revokeOwnSessions.
 */
export async function revokeAppSessions(scope: {
  clientId: string;
  userId?: string | null;
  sessionId?: string | null;
  exceptSessionId?: string | null;
  reason?: string;
}): Promise<number> {
  const count = await withDatabase(async () => (await getStore()).revokeAppSessions(scope, now()));
  if (count > 0) logSessionEvent("revoked", {
    subject: { id: scope.sessionId ?? undefined, clientId: scope.clientId, userId: scope.userId ?? undefined },
    detail: { reason: scope.reason ?? "revoked", exceptSessionId: scope.exceptSessionId ?? undefined },
    count,
  });
  return count;
}

/**
 * The live sessions of a client (optionally one user's), most recent first.
 * Operator scope (the CLI): a merchant's own session uses listOwnSessions.
 */
export async function listAppSessions(clientId: string, userId: string | null = null): Promise<AppSessionRecord[]> {
  return withDatabase(async () => (await getStore()).listAppSessions(clientId, userId, now()));
}
