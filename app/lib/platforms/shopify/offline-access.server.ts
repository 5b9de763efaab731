/**
 * The shop's offline access token: how the app calls the Admin API.
 *
 * Obtained at install (OAuth code grant, install.server.ts) or, for a
 * managed install, by exchanging the merchant's session token at the first
 * entry. Stored encrypted in platform_sessions (platform-sessions.server.ts).
 * Every failure of a Shopify call is turned into one of the errors below,
 * whose messages never carry a token (the library's own errors can quote
 * one, so they are never passed on or logged raw).
 */
import {
  HttpResponseError,
  InvalidJwtError,
  RequestedTokenType,
  ShopifyError,
  type GraphqlClient,
  type Session,
} from "@shopify/shopify-api";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { logger } from "~/lib/log.server";
import { shopifySessionStorage } from "~/lib/platforms/platform-sessions.server";
import { shopify } from "./config.server";

/** Shopify did not answer, or answered 5xx: try again later (503). */
export class ShopifyUnavailableError extends Error {
  constructor(what: string) {
    super(`Shopify did not answer (${what}).`);
    this.name = "ShopifyUnavailableError";
  }
}

/** Shopify refused the session token we exchanged: the page needs a fresh one. */
export class SessionTokenRefusedError extends Error {
  constructor() {
    super("Shopify refused the session token.");
    this.name = "SessionTokenRefusedError";
  }
}

/** There is no usable offline token and no session token to obtain one with: the merchant must open the app from the admin. */
export class ShopifyReauthorizationRequiredError extends Error {
  constructor(readonly shop: string) {
    super(`No valid access token for ${shop}; the app must be opened from the Shopify admin.`);
    this.name = "ShopifyReauthorizationRequiredError";
  }
}

/**
 * A failed Shopify call as one of our errors. Library errors never pass
 * through with their own text (it can quote a token); anything that is not a
 * Shopify or network failure (a database outage, a bug) is returned as is.
 */
export function platformFailure(error: unknown, what: string): unknown {
  if (error instanceof InvalidJwtError) return new SessionTokenRefusedError();
  if (error instanceof HttpResponseError) {
    const body = error.response.body as { error?: unknown } | undefined;
    if (error.response.code === 400 && body?.error === "invalid_subject_token") return new SessionTokenRefusedError();
    if (error.response.code >= 500 || error.response.code === 429) return new ShopifyUnavailableError(what);
    const code = typeof body?.error === "string" ? `: ${body.error.slice(0, 64)}` : "";
    return new Error(`Shopify refused ${what} (HTTP ${error.response.code}${code}).`);
  }
  if (error instanceof ShopifyError) return new Error(`Shopify call failed (${what}): ${error.constructor.name}.`);
  if (error instanceof TypeError) return new ShopifyUnavailableError(what); // fetch: the network failed
  return error;
}

function describe(error: unknown): string {
  const failure = platformFailure(error, "the call");
  return failure instanceof Error ? failure.message : "unknown failure";
}

/** Calls with the same key share one run while it lasts (per process). */
const inFlight = new Map<string, Promise<unknown>>();
export function singleFlight<T>(key: string, run: () => Promise<T>): Promise<T> {
  const pending = inFlight.get(key) as Promise<T> | undefined;
  if (pending) return pending;
  const started = run().finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}

function offlineId(shop: string): string {
  return shopify().session.getOfflineId(shop);
}

/** An expiring offline token is refreshed this long before it expires (as shopify-app-remix does). */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
/** How long one process holds the right to refresh a shop's token. */
const REFRESH_LEASE_SECONDS = 30;
/** Waiting for another process's refresh of a token that has already expired: how often, how many times. */
const PEER_POLL_MS = 200;
const PEER_POLL_TRIES = 10;

function expiresWithin(session: Session, ms: number): boolean {
  return Boolean(session.expires && session.expires.getTime() - ms <= now().getTime());
}

function isUsable(session: Session | undefined): session is Session {
  return Boolean(session?.accessToken) && !expiresWithin(session as Session, 0);
}

function canRefresh(session: Session): boolean {
  const refreshable = !session.refreshTokenExpires || session.refreshTokenExpires.getTime() > now().getTime();
  return Boolean(session.refreshToken) && refreshable;
}

const shopNameSchema = z.object({ shop: z.object({ name: z.string().min(1).max(255) }) });

/** The shop's name from the Admin API (one call), or null if it cannot be had. */
export async function fetchShopName(session: Session): Promise<string | null> {
  try {
    const client = new (shopify().clients.Graphql)({ session });
    const response = await client.request("query ShopName { shop { name } }");
    return shopNameSchema.parse(response.data).shop.name;
  } catch (error) {
    logger.warn({ event: "shopify.shop_name_failed", shop: session.shop, reason: describe(error) }, "could not read the shop name");
    return null;
  }
}

/**
 * Record an installation: the clients row (named after the shop the first
 * time) and the offline session. A reinstall keeps the merchant's own name.
 */
export async function installShop(session: Session): Promise<void> {
  const store = await getStore();
  const existing = await store.findClient("shopify", session.shop);
  const organizationName = existing?.organizationName ? null : await fetchShopName(session);
  await store.upsertClient({ platform: "shopify", externalId: session.shop, organizationName }, now());
  if (!(await shopifySessionStorage.storeSession(session))) {
    throw new Error(`the offline session for ${session.shop} could not be stored`);
  }
  logger.info({ event: "shopify.installed", shop: session.shop, scope: session.scope }, "Shopify shop installed");
}

/** Exchange a session token for an expiring offline token, and install (managed install). */
async function exchangeAndInstall(shop: string, sessionToken: string): Promise<Session> {
  let session: Session;
  try {
    ({ session } = await shopify().auth.tokenExchange({
      shop,
      sessionToken,
      requestedTokenType: RequestedTokenType.OfflineAccessToken,
      expiring: true,
    }));
  } catch (error) {
    throw platformFailure(error, "the token exchange");
  }
  await installShop(session);
  return session;
}

/**
 * Refresh an expiring offline token under the database lease. Of all the
 * app's processes, only the one that claims the lease spends the (single-use)
 * refresh token; the others use the current token while it lasts, or wait
 * briefly for the new one. Returns null when the token cannot be renewed
 * (Shopify refused the refresh token: the session is dropped).
 */
export async function refreshUnderLease(stored: Session): Promise<Session | null> {
  const store = await getStore();
  const claimed = await store.claimPlatformSessionRefresh(
    { id: stored.id, expectedExpiresAt: stored.expires ?? null, leaseSeconds: REFRESH_LEASE_SECONDS },
    now(),
  );
  if (!claimed) return refreshedByAnother(stored);

  let refreshed: Session;
  try {
    ({ session: refreshed } = await shopify().auth.refreshToken({ shop: stored.shop, refreshToken: stored.refreshToken as string }));
  } catch (error) {
    const failure = platformFailure(error, "the token refresh");
    if (failure instanceof ShopifyUnavailableError) throw failure; // the lease lapses; a later request tries again
    logger.warn(
      { event: "shopify.refresh_refused", shop: stored.shop, reason: describe(error) },
      "Shopify refused the refresh token; dropping the offline session",
    );
    await shopifySessionStorage.deleteSession(stored.id);
    return null;
  }
  // Storing releases the lease; false if the shop was uninstalled meanwhile (the new token is dropped).
  if (!(await shopifySessionStorage.storeSessionIfInstalled(refreshed))) return null;
  logger.info({ event: "shopify.token_refreshed", shop: stored.shop, expiresAt: refreshed.expires?.toISOString() }, "offline token refreshed");
  return refreshed;
}

/** Another process holds the lease (or has just refreshed): its token once stored, the current one while it lasts. */
async function refreshedByAnother(stored: Session): Promise<Session | null> {
  for (let attempt = 0; ; attempt++) {
    const current = await shopifySessionStorage.loadSession(stored.id);
    if (!current) return null;
    if (current.expires?.getTime() !== stored.expires?.getTime() || isUsable(current)) return current;
    if (attempt >= PEER_POLL_TRIES) return null;
    await new Promise((resolve) => setTimeout(resolve, PEER_POLL_MS));
  }
}

/**
 * The shop's offline session, ready to use:
 *   - refreshed (once, across requests and processes) when it expires within
 *     five minutes and has a refresh token; if Shopify is unreachable, the
 *     current token is used while it lasts;
 *   - obtained by token exchange when there is none (managed install, after an
 *     uninstall, after a refused refresh) and a session token is at hand.
 * Otherwise ShopifyReauthorizationRequiredError: the merchant's next request
 * from the admin brings a session token.
 */
export async function ensureOfflineSession(shop: string, sessionToken: string | null): Promise<Session> {
  const stored = await shopifySessionStorage.loadSession(offlineId(shop));
  if (stored?.accessToken) {
    if (!expiresWithin(stored, REFRESH_BEFORE_EXPIRY_MS)) return stored;
    if (canRefresh(stored)) {
      const refreshed = await singleFlight(`refresh:${shop}`, () => refreshUnderLease(stored)).catch((error: unknown) => {
        if (error instanceof ShopifyUnavailableError && isUsable(stored)) return stored;
        throw error;
      });
      if (refreshed) return refreshed;
    } else if (isUsable(stored)) {
      return stored; // expiring, and nothing to refresh it with: use it while it lasts
    }
  }
  if (!sessionToken) throw new ShopifyReauthorizationRequiredError(shop);
  return singleFlight(`exchange:${shop}`, () => exchangeAndInstall(shop, sessionToken));
}

/**
 * Call the Admin API with the shop's offline token. A 401 means Shopify
 * revoked the token (an app/uninstalled we never received, a revoked
 * token...): it is dropped and, with a session token at hand, a new one is
 * obtained by token exchange and the call made once more (DESIGN.md,
 * "Lessons"). Without one, ShopifyReauthorizationRequiredError.
 */
export async function withShopifyAdmin<T>(
  shop: string,
  sessionToken: string | null,
  run: (admin: GraphqlClient) => Promise<T>,
): Promise<T> {
  const call = async (session: Session) => {
    try {
      return { ok: true as const, value: await run(new (shopify().clients.Graphql)({ session })) };
    } catch (error) {
      if (error instanceof HttpResponseError && error.response.code === 401) return { ok: false as const };
      throw platformFailure(error, "an Admin API call");
    }
  };
  const session = await ensureOfflineSession(shop, sessionToken);
  const first = await call(session);
  if (first.ok) return first.value;

  logger.warn({ event: "shopify.access_token_revoked", shop }, "the Admin API refused the offline token; dropping it");
  await shopifySessionStorage.deleteSession(session.id);
  if (!sessionToken) throw new ShopifyReauthorizationRequiredError(shop);
  const second = await call(await ensureOfflineSession(shop, sessionToken));
  if (second.ok) return second.value;
  throw new ShopifyReauthorizationRequiredError(shop);
}
