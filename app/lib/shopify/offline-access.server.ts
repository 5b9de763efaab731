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
  ShopifyError,
  RequestedTokenType,
  type Session,
} from "@shopify/shopify-api";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { logger } from "~/lib/log.server";
import { shopifySessionStorage } from "~/lib/platform-sessions.server";
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

function isUsable(session: Session | undefined): session is Session {
  return Boolean(session?.accessToken) && !(session?.expires && session.expires.getTime() <= now().getTime());
}

/** The shop's stored offline session if it has a live access token. */
export async function loadOfflineSession(shop: string): Promise<Session | undefined> {
  const session = await shopifySessionStorage.loadSession(offlineId(shop));
  return isUsable(session) ? session : undefined;
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
 * The shop's offline session, obtaining one by token exchange when there is
 * none (managed install, or after an uninstall) and a session token is at
 * hand. One exchange per shop at a time in this process.
 */
export async function ensureOfflineSession(shop: string, sessionToken: string | null): Promise<Session> {
  const existing = await loadOfflineSession(shop);
  if (existing) return existing;
  if (!sessionToken) throw new ShopifyReauthorizationRequiredError(shop);
  return singleFlight(`exchange:${shop}`, () => exchangeAndInstall(shop, sessionToken));
}
