/**
 * The app inside the Shopify admin.
 *
 * - Entry: the admin frames `/app?embedded=1&shop&host&id_token&hmac&…`. The
 *   `id_token` (a session token) is verified locally; a shop without an
 *   offline token gets one by token exchange (managed install); then the
 *   staff member's app session is found by the token's `sid` and given a new
 *   token, which goes into the cookie.
 * - Bearer: App Bridge adds `Authorization: Bearer <session token>` to the
 *   app's own fetches. Verified locally and mapped to the same sid's app
 *   session: one indexed SQL call, no Shopify call, no cookie needed (so the
 *   app works where third-party cookies are blocked).
 * - Stale tokens: a page load whose token has gone stale (they live a minute;
 *   reloads replay the URL) is bounced through a page that loads App Bridge,
 *   gets a fresh token and comes back; a data request gets 401 with
 *   `X-Shopify-Retry-Invalid-Session-Request: 1`, and App Bridge retries it
 *   with a fresh token. A bounce that comes straight back with a bad token is
 *   not bounced again (no loop).
 */
import { redirect } from "@remix-run/node";
import type { GraphqlClient } from "@shopify/shopify-api";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { AppSessionRecord } from "~/lib/db/store.server";
import { env } from "~/lib/env.server";
import { isDataRequest, jsonError, NO_STORE, originOf, serviceUnavailableResponse, sessionRequiredResponse } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import { applyDocumentHeaders } from "~/lib/security.server";
import { countFailure } from "~/lib/operations/rate-limit.server";
import {
  admitVerifiedEntry,
  clientIp,
  createSessionCookie,
  enterAppSession,
  generateSessionToken,
  hashSessionToken,
  requireAppSession,
  sessionLifetimes,
  userAgent,
  type AppSession,
} from "~/lib/sessions/core.server";
import { sessionTokenRejected } from "./auth-failures.server";
import { appBridgeScriptUrl, shopify, shopifyConfigured, shopifyCredentials } from "./config.server";
import {
  ensureOfflineSession,
  SessionTokenRefusedError,
  ShopifyReauthorizationRequiredError,
  ShopifyUnavailableError,
  withShopifyAdmin,
} from "./offline-access.server";
import { staffMemberForNewSession } from "./online-access.server";
import { isShopifySessionTokenShape, verifyShopifySessionToken, type SessionTokenClaims } from "./session-token.server";

export const RETRY_INVALID_SESSION_HEADER = "X-Shopify-Retry-Invalid-Session-Request";
/** The bounce page (App Bridge, then back to `shopify-reload` with a fresh `id_token`). */
export const BOUNCE_PATH = "/auth/shopify/session-token";
/** Set on the URL a bounce returns to: when was this page bounced (unix seconds). */
const BOUNCED_AT_PARAM = "shopify-bounced";
/** A page that comes back from a bounce this recently with a bad token is not bounced again. */
const BOUNCE_GUARD_SECONDS = 60;
const MAX_ID_TOKEN_LENGTH = 4096;

// --- answers to requests without a (valid) session token -------------------

/** A data request with a bad session token: 401, and App Bridge retries it once with a fresh token. */
function retryWithFreshTokenResponse(): Response {
  return jsonError(401, "unauthenticated", "Your Shopify session token is invalid or expired.", {
    [RETRY_INVALID_SESSION_HEADER]: "1",
  });
}

/**
 * A page load without a usable session token: off to the bounce page, which
 * comes back here with a fresh `id_token`. If this page IS such a return, and
 * recent, the fresh token failed too: stop and explain instead of looping.
 */
function bounceResponse(request: Request): Response {
  if (isDataRequest(request)) return retryWithFreshTokenResponse();
  const url = new URL(request.url);
  const nowSeconds = Math.floor(now().getTime() / 1000);
  const bouncedAt = Number(url.searchParams.get(BOUNCED_AT_PARAM));
  if (Number.isFinite(bouncedAt) && bouncedAt > 0 && Math.abs(nowSeconds - bouncedAt) < BOUNCE_GUARD_SECONDS) {
    logger.warn({ event: "shopify.bounce_refused", path: url.pathname }, "a fresh session token failed too; not bouncing again");
    return sessionRequiredResponse(request, "unauthenticated");
  }
  const reload = new URL(`${url.pathname}${url.search}`, env().APP_URL);
  reload.searchParams.delete("id_token");
  reload.searchParams.set(BOUNCED_AT_PARAM, String(nowSeconds));
  const bounce = new URLSearchParams();
  for (const name of ["shop", "host", "embedded", "locale"]) {
    const value = url.searchParams.get(name);
    if (value !== null) bounce.set(name, value);
  }
  bounce.set("shopify-reload", reload.toString());
  return redirect(`${BOUNCE_PATH}?${bounce}`, { headers: { "Cache-Control": NO_STORE } });
}

/** Shopify failures during an entry or bearer request, as the answers a merchant should see. */
async function answeringShopifyFailures<T>(request: Request, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionTokenRefusedError) {
      sessionTokenRejected(request, "refused_by_shopify", isDataRequest(request) ? "bearer" : "entry");
      throw bounceResponse(request);
    }
    if (error instanceof ShopifyUnavailableError) {
      throw serviceUnavailableResponse("Shopify is not answering right now. Nothing was lost; please try again in a moment.");
    }
    // No usable offline token and no session token to get one with: ask for one (bounce or App Bridge retry).
    if (error instanceof ShopifyReauthorizationRequiredError) throw bounceResponse(request);
    throw error;
  }
}

// --- the app session of a session token --------------------------------------

/**
 * The entry's new (or still nameless) app session, with the staff member's
 * name and email from their online access token (online-access.server.ts).
 */
async function withStaffMember(record: AppSessionRecord, claims: SessionTokenClaims, sessionToken: string): Promise<AppSessionRecord> {
  const staff = await staffMemberForNewSession(claims.shop, claims.userId, sessionToken);
  if (!staff || (!staff.name && !staff.email)) return record;
  const store = await getStore();
  const patch = { userName: staff.name ?? undefined, userEmail: staff.email ?? undefined };
  return (await store.updateAppSession(record.id, patch, now())) ?? record;
}

async function appSessionForToken(
  request: Request,
  claims: SessionTokenClaims,
  entry: { sessionToken: string } | null,
): Promise<AppSession> {
  const token = generateSessionToken();
  const store = await getStore();
  const { status, session } = await store.shopifyAppSessionForToken(
    {
      shop: claims.shop,
      sid: claims.sid,
      userId: claims.userId,
      tokenHash: hashSessionToken(token),
      entry: entry !== null,
      ...sessionLifetimes(false),
      touchIntervalSeconds: env().APP_SESSION_TOUCH_SECONDS,
      ipAddress: clientIp(request),
      userAgent: userAgent(request),
    },
    now(),
  );
  switch (status) {
    case "valid":
      return { ...(session as AppSessionRecord), via: "bearer" };
    case "created":
    case "rotated": {
      let record = session as AppSessionRecord;
      logger.info(
        { event: `session.${status}`, sessionId: record.id, clientId: record.clientId, via: entry ? "shopify_entry" : "shopify_bearer" },
        "app session for a Shopify session token",
      );
      if (!entry) return { ...record, via: "bearer" };
      // Only an entry asks Shopify who the staff member is: at the session's creation (or until it knows).
      if (status === "created" || !record.userName) record = await withStaffMember(record, claims, entry.sessionToken);
      // Only the entry sets a cookie: for the token minted just now, whose hash the session holds.
      return (await enterAppSession(request, { session: record, token, setCookie: createSessionCookie(token) })).session;
    }
    case "revoked":
      logger.info({ event: "session.revoked", sessionId: session?.id, clientId: session?.clientId }, "revoked Shopify session refused");
      // The explanation page links back to this shop's admin.
      throw sessionRequiredResponse(request, "revoked", {}, session ? originOf(session) : null);
    default:
      // not_installed (uninstalled, or never installed: an entry installs first), user_mismatch
      throw sessionRequiredResponse(request, "unauthenticated");
  }
}

// --- entry -------------------------------------------------------------------

function shopParam(request: Request): string | null {
  return new URL(request.url).searchParams.get("shop");
}

async function enterFromAdmin(request: Request): Promise<AppSession> {
  const url = new URL(request.url);
  const shop = shopify().utils.sanitizeShop(url.searchParams.get("shop") ?? "");
  if (!shop) throw jsonError(400, "invalid_shop", "The shop parameter is not a valid Shopify shop domain.");

  const idToken = url.searchParams.get("id_token");
  // No token, and no session of this shop's to reuse (reusesShopifySession): get a token first.
  if (!idToken) throw bounceResponse(request);
  if (idToken.length > MAX_ID_TOKEN_LENGTH) throw jsonError(400, "invalid_id_token", "The id_token parameter is too long.");

  const verified = await verifyShopifySessionToken(idToken, shop);
  if (!verified.ok) {
    sessionTokenRejected(request, verified.reason, "entry");
    // A bounce is a redirect, not a 4xx: counted against the IP's failed entries here.
    await countFailure(request, "entry");
    throw bounceResponse(request);
  }
  // Signed for this shop: only now does the entry count against the shop (before any token exchange).
  await admitVerifiedEntry(request, verified.claims.shop);
  return answeringShopifyFailures(request, async () => {
    await ensureOfflineSession(shop, idToken);
    return appSessionForToken(request, verified.claims, { sessionToken: idToken });
  });
}

/**
 * A page load from the admin: a GET document request naming a shop and
 * carrying an `id_token`, or flagged `embedded=1`. Data requests (Remix
 * fetches, which repeat the page's URL) are left to the bearer and cookie.
 */
export const shopifyEntryHandler = {
  name: "shopify",
  matches(request: Request): boolean {
    if (request.method !== "GET" || isDataRequest(request)) return false;
    const params = new URL(request.url).searchParams;
    if (!params.has("shop") || !(params.has("id_token") || params.get("embedded") === "1")) return false;
    return shopifyConfigured();
  },
  /** The admin framed a page without a token (or a reload dropped it): a live session for this very shop will do. */
  reuses(request: Request, session: AppSession): boolean {
    const params = new URL(request.url).searchParams;
    if (params.get("id_token")) return false;
    const shop = shopify().utils.sanitizeShop(params.get("shop") ?? "");
    return Boolean(shop) && session.platform === "shopify" && session.clientExternalId === shop;
  },
  enter: enterFromAdmin,
};

// --- bearer ------------------------------------------------------------------

/**
 * App Bridge's `Authorization: Bearer <session token>`. Values that are not
 * shaped like a Shopify session token are left to other resolvers.
 */
export async function resolveShopifyBearer(request: Request, bearer: string): Promise<AppSession | null> {
  if (!isShopifySessionTokenShape(bearer) || !shopifyConfigured()) return null;
  const verified = await verifyShopifySessionToken(bearer, shopParam(request));
  if (!verified.ok) {
    sessionTokenRejected(request, verified.reason, "bearer");
    throw retryWithFreshTokenResponse();
  }
  return appSessionForToken(request, verified.claims, null);
}

// --- the Admin API, for loaders and actions -------------------------------------

/** The session token this request carries: App Bridge's bearer, or the entry's id_token. */
function sessionTokenOf(request: Request): string | null {
  const bearer = /^Bearer (\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (bearer && isShopifySessionTokenShape(bearer)) return bearer;
  const idToken = new URL(request.url).searchParams.get("id_token");
  return idToken && idToken.length <= MAX_ID_TOKEN_LENGTH ? idToken : null;
}

/**
 * Call the Admin API for the shop of `session` (from requireAppSession). The
 * offline token is refreshed when it is about to expire; if Shopify says it
 * was revoked, it is replaced by token exchange with this request's session
 * token. When that is impossible (a cookie-only request), the request is
 * answered so that App Bridge brings one: a bounce for pages, a 401 with
 * X-Shopify-Retry-Invalid-Session-Request for data requests.
 */
export async function shopifyAdmin<T>(request: Request, session: AppSession, run: (admin: GraphqlClient) => Promise<T>): Promise<T> {
  if (session.platform !== "shopify") throw jsonError(400, "not_shopify", "This session is not a Shopify session.");
  return answeringShopifyFailures(request, () => withShopifyAdmin(session.clientExternalId, sessionTokenOf(request), run));
}

// --- pages that load App Bridge ------------------------------------------------

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A bare HTML page that loads App Bridge (and optionally runs a line of script after it). */
export function appBridgePage(extraScript = ""): Response {
  const credentials = shopifyCredentials();
  if (!credentials) return jsonError(404, "not_found", "Shopify is not configured.");
  const apiKey = escapeHtml(credentials.apiKey);
  const html = [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta name="shopify-api-key" content="${apiKey}">`,
    `<script src="${escapeHtml(appBridgeScriptUrl())}" data-api-key="${apiKey}"></script>`,
    extraScript,
    "</head><body></body></html>",
  ].join("\n");
  const headers = new Headers({ "Content-Type": "text/html; charset=utf-8" });
  applyDocumentHeaders(headers, null);
  return new Response(html, { headers });
}

function isAppUrl(value: string): boolean {
  try {
    return new URL(value).origin === new URL(env().APP_URL).origin;
  } catch {
    return false;
  }
}

/**
 * The bounce page: App Bridge, on a page whose URL has `shopify-reload`,
 * fetches a fresh session token and navigates there with it as `id_token`.
 * Only the app's own URLs are accepted, so a crafted link cannot send a
 * fresh token to someone else's site.
 */
export function bouncePage(request: Request): Response {
  const reload = new URL(request.url).searchParams.get("shopify-reload");
  if (!reload || !isAppUrl(reload)) {
    return jsonError(400, "invalid_reload", "shopify-reload must be a URL of this app.");
  }
  return appBridgePage();
}

/** Root layout: App Bridge for pages the Shopify admin frames (a Shopify session under /app), else null. */
export async function appBridgeFor(request: Request): Promise<{ apiKey: string; src: string } | null> {
  const credentials = shopifyCredentials();
  const path = new URL(request.url).pathname;
  if (!credentials || !(path === "/app" || path.startsWith("/app/"))) return null;
  // Shares the request's one session resolution with the /app loaders.
  const session = await requireAppSession(request).catch(() => null);
  return session?.platform === "shopify" ? { apiKey: credentials.apiKey, src: appBridgeScriptUrl() } : null;
}
