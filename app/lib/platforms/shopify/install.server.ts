/**
 * Install from the Shopify App Store: the OAuth authorization-code grant.
 *
 *   GET /install/shopify?shop=…        validate the shop (leave the admin's
 *                                      iframe first if framed), then redirect
 *                                      to Shopify's authorize page with a
 *                                      state nonce: in a short-lived signed
 *                                      cookie (the library's) AND recorded in
 *                                      oauth_states, so it is accepted once.
 *   GET /install/shopify/callback?…    HMAC, state (recorded, unused, for this
 *                                      shop, and equal to the cookie's), then
 *                                      the code is exchanged for an expiring
 *                                      offline token; client + platform
 *                                      session stored; an app session started;
 *                                      the merchant lands in the app inside
 *                                      the admin.
 * A forged or replayed callback is refused before anything is created.
 */
import { createHash } from "node:crypto";
import { BotActivityDetected, CookieNotFound, InvalidOAuthError, type Session } from "@shopify/shopify-api";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { env } from "~/lib/env.server";
import { isDataRequest, jsonError, NO_STORE, serviceUnavailableResponse } from "~/lib/http.server";
import { platformSandbox } from "~/lib/platforms/plug.server";
import { enforceRateLimit } from "~/lib/operations/rate-limit.server";
import { releaseRequestContext } from "~/lib/sessions/request-context.server";
import { startAppSession } from "~/lib/sessions/core.server";
import { oauthCallbackRejected } from "./auth-failures.server";
import { shopify, shopifyConfigured, shopifyCredentials } from "./config.server";
import { appBridgePage, escapeHtml } from "./embedded.server";
import { installShop, platformFailure, ShopifyUnavailableError } from "./offline-access.server";

export const INSTALL_PATH = "/install/shopify";
export const CALLBACK_PATH = "/install/shopify/callback";
/** The database's limit on a nonce; the library's state cookie (60 s) usually ends the flow first. */
const STATE_TTL_SECONDS = 300;

function hashState(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

/** A Shopify URL the browser is sent to; in sandbox mode, the sandbox's page for it. */
function forBrowser(url: string): string {
  const sandbox = shopifyCredentials()?.sandbox ? platformSandbox() : null;
  return sandbox ? sandbox.shopify.browserUrl(url) : url;
}

/**
 * A refusal as the merchant's browser shows it (these are top-level pages,
 * not Remix routes): a short page that says what to do; JSON for API clients.
 */
function problem(request: Request, status: number, error: string, message: string): Response {
  if (isDataRequest(request)) return jsonError(status, error, message);
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Install</title></head>
<body style="font:16px system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1 style="font-size:1.4rem">The app could not be installed</h1><p data-error="${escapeHtml(error)}">${escapeHtml(message)}</p></body></html>`;
  return new Response(html, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": NO_STORE } });
}

function notConfigured(request: Request): Response {
  return problem(request, 404, "not_configured", "Shopify is not configured for this app.");
}

/**
 * shopify-api answers a bare 410 to user agents it takes for bots (crawlers,
 * link previews, and headless browsers that say so): say why, so a developer
 * driving the sandbox with one is not left with an empty page.
 */
function botRefused(request: Request): Response {
  return problem(
    request,
    410,
    "automated_client",
    "This install link cannot be followed by an automated client (Shopify's library refuses bot user agents). Open it in a browser.",
  );
}

function invalidShop(request: Request): Response {
  return problem(request, 400, "invalid_shop", "The shop parameter must be a Shopify shop domain such as example.myshopify.com.");
}

/**
 * Break out of the admin's iframe (OAuth pages refuse to be framed): App
 * Bridge opens the install URL in the top window.
 */
function exitIframe(destination: string): Response {
  const target = JSON.stringify(destination).replace(/</g, "\\u003c");
  return appBridgePage(`<script>window.open(${target}, "_top");</script>`);
}

export async function beginInstall(request: Request): Promise<Response> {
  if (!shopifyConfigured()) return notConfigured(request);
  const url = new URL(request.url);
  const shop = shopify().utils.sanitizeShop(url.searchParams.get("shop") ?? "");
  if (!shop) return invalidShop(request);
  await enforceRateLimit(request, "install", { client: shop });
  if (url.searchParams.get("embedded") === "1") {
    return exitIframe(`${env().APP_URL}${INSTALL_PATH}?${new URLSearchParams({ shop })}`);
  }

  const response = await shopify().auth.begin({ shop, callbackPath: CALLBACK_PATH, isOnline: false, rawRequest: request });
  const location = response.headers.get("Location");
  const state = location ? new URL(location).searchParams.get("state") : null;
  if (response.status === 410) return botRefused(request);
  if (response.status !== 302 || !location || !state) return response;

  const store = await getStore();
  await store.createOAuthState({ stateHash: hashState(state), platform: "shopify", shop, ttlSeconds: STATE_TTL_SECONDS }, now());
  const headers = new Headers({ Location: forBrowser(location), "Cache-Control": NO_STORE });
  for (const cookie of response.headers.getSetCookie()) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 302, headers });
}

function refused(request: Request, status: 400 | 401, reason: string, shop: string | null, message: string): Response {
  oauthCallbackRejected(request, reason, shop);
  return problem(request, status, reason, message);
}

/** Where the merchant lands: the app inside their admin (from the callback's `host`, else the shop). */
function appInAdminUrl(shop: string, host: string | null): string {
  const api = shopify();
  if (host && api.utils.sanitizeHost(host)) return api.auth.buildEmbeddedAppUrl(host);
  return `https://${api.utils.legacyUrlToShopAdminUrl(shop)}/apps/${api.config.apiKey}`;
}

export async function completeInstall(request: Request): Promise<Response> {
  if (!shopifyConfigured()) return notConfigured(request);
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const api = shopify();
  const shop = api.utils.sanitizeShop(query.shop ?? "");
  if (!shop) return refused(request, 400, "invalid_shop", null, "The callback does not name a valid shop.");
  await enforceRateLimit(request, "install", { client: shop });

  // 1. Signed by Shopify, recently (the library also checks the timestamp).
  const hmacValid = await api.utils.validateHmac(query).catch(() => false);
  if (!hmacValid) return refused(request, 401, "invalid_hmac", shop, "The callback's signature is not valid.");

  // 2. A nonce we issued for this very shop, used for the first time.
  const store = await getStore();
  const fresh =
    typeof query.state === "string" &&
    query.state.length <= 256 &&
    (await store.consumeOAuthState({ stateHash: hashState(query.state), platform: "shopify", shop }, now()));
  if (!fresh) {
    return refused(request, 400, "invalid_state", shop, "This install link was already used, has expired, or was not issued for this shop. Start the install again.");
  }

  // 3. The nonce is the one this browser's signed cookie holds; then the code grant.
  let session: Session;
  let libraryHeaders: Headers;
  try {
    ({ session, headers: libraryHeaders } = await api.auth.callback<Headers>({ rawRequest: request, expiring: true }));
  } catch (error) {
    if (error instanceof CookieNotFound || error instanceof InvalidOAuthError) {
      return refused(request, 400, "invalid_state", shop, "This install was started in another browser, or took too long. Start the install again.");
    }
    if (error instanceof BotActivityDetected) return botRefused(request);
    const failure = platformFailure(error, "the authorization code");
    if (failure instanceof ShopifyUnavailableError) return serviceUnavailableResponse("Shopify is not answering right now. Start the install again in a moment.");
    return refused(request, 400, "install_failed", shop, "Shopify did not accept this install. Start the install again.");
  }

  // 4. Installed: client + offline session; then an app session for this browser.
  await installShop(session);
  const client = await store.findClient("shopify", shop);
  if (!client) throw new Error(`client for ${shop} missing right after install`);
  await startAppSession({ request, clientId: client.id });

  const headers = new Headers({ Location: forBrowser(appInAdminUrl(shop, query.host ?? null)), "Cache-Control": NO_STORE });
  for (const cookie of libraryHeaders.getSetCookie()) headers.append("Set-Cookie", cookie);
  for (const cookie of releaseRequestContext(request)) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 302, headers });
}
