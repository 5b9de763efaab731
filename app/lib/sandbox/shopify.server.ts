/**
 * The Shopify sandbox: a local stand-in for the parts of Shopify the app
 * talks to, speaking the real wire formats, for development and tests. It
 * never runs in production (every entry point asserts it).
 *
 * What it stands in for:
 *   - the admin, which frames the app with signed parameters and a fresh
 *     session token (HS256 JWT signed with the app secret);
 *   - the OAuth authorize page, which redirects back to the app's callback
 *     with code, hmac, host, shop, state and timestamp;
 *   - `POST https://{shop}/admin/oauth/access_token`: the code grant, token
 *     exchange (managed install) and refresh of expiring offline tokens;
 *   - the Admin GraphQL API (just `shop { name }`), answering 401 to a
 *     revoked or expired access token;
 *   - signed webhook deliveries.
 * The app reaches the server-to-server endpoints through @shopify/shopify-api's
 * own fetch hook (app/lib/platforms/shopify/config.server.ts), and every such call is
 * counted so tests can prove what the app did NOT call.
 *
 * Credentials are derived from SESSION_SECRET at run time: nothing secret is
 * written in the code, and none of this is reachable in production.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { createCookie } from "@remix-run/node";
import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import { env } from "~/lib/env.server";
import { assertNotProduction, sandboxAdminUrl } from "./index.server";
import { readJsonBody } from "~/lib/request-body.server";

export const SANDBOX_API_KEY = "sandbox-shopify-api-key";
/** How long a sandbox session token lives (Shopify: one minute). */
export const SESSION_TOKEN_TTL_SECONDS = 60;
const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600;
const REFRESH_TOKEN_TTL_SECONDS = 90 * 24 * 3600;
const CODE_TTL_MS = 10 * 60_000;
export const DEFAULT_SANDBOX_USER = "1001";

export function sandboxShopifyCredentials(): { apiKey: string; apiSecret: string } {
  assertNotProduction();
  const apiSecret = createHmac("sha256", env().SESSION_SECRET[0]).update("shopify-sandbox-api-secret").digest("hex");
  return { apiKey: SANDBOX_API_KEY, apiSecret };
}

function secretKey(): Uint8Array {
  return new TextEncoder().encode(sandboxShopifyCredentials().apiSecret);
}

function appScopes(): string {
  return env().SHOPIFY_SCOPES;
}

// --- shops and their state --------------------------------------------------

const STORE_NAME = /^[a-z0-9][a-z0-9-]{0,59}$/;
const SHOP_DOMAIN = /^([a-z0-9][a-z0-9-]{0,59})\.myshopify\.com$/;

export function sandboxShopDomain(store: string): string | null {
  const name = store.trim().toLowerCase();
  if (SHOP_DOMAIN.test(name)) return name;
  return STORE_NAME.test(name) ? `${name}.myshopify.com` : null;
}

export function storeNameOf(shop: string): string {
  return shop.replace(/\.myshopify\.com$/, "");
}

interface SandboxShop {
  domain: string;
  name: string;
  /** Scopes the merchant granted the app; null while the app is not installed. */
  grantedScopes: string | null;
  accessTokenTtlSeconds: number;
  /** Tests: Shopify answers online token exchanges with 503 (an outage of that one endpoint). */
  onlineTokensUnavailable?: boolean;
}

interface IssuedAccessToken {
  shop: string;
  expiresAt: number | null;
  revoked: boolean;
}

interface SandboxState {
  shops: Map<string, SandboxShop>;
  codes: Map<string, { shop: string; expiresAt: number }>;
  accessTokens: Map<string, IssuedAccessToken>;
  refreshTokens: Map<string, { shop: string; expiresAt: number }>;
  calls: Record<string, number>;
}

// On globalThis: in development the server re-imports rebuilt code, and the
// sandbox's shops and tokens should outlive a rebuild like the database does.
const holder = globalThis as typeof globalThis & { __shopifySandbox?: SandboxState };

function state(): SandboxState {
  assertNotProduction();
  holder.__shopifySandbox ??= {
    shops: new Map(),
    codes: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    calls: {},
  };
  return holder.__shopifySandbox;
}

function shopState(domain: string): SandboxShop {
  const shops = state().shops;
  let shop = shops.get(domain);
  if (!shop) {
    const store = storeNameOf(domain);
    shop = {
      domain,
      name: store.replace(/(^|-)([a-z0-9])/g, (_m, dash: string, c: string) => `${dash ? " " : ""}${c.toUpperCase()}`),
      grantedScopes: null,
      accessTokenTtlSeconds: DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    };
    shops.set(domain, shop);
  }
  return shop;
}

export interface SandboxShopView {
  domain: string;
  /** The store name (the admin URL's /store/{name}). */
  store: string;
  name: string;
  installed: boolean;
  grantedScopes: string | null;
  accessTokenTtlSeconds: number;
}

export function listSandboxShops(): SandboxShopView[] {
  return [...state().shops.values()].map((s) => ({
    domain: s.domain,
    store: storeNameOf(s.domain),
    name: s.name,
    installed: s.grantedScopes !== null,
    grantedScopes: s.grantedScopes,
    accessTokenTtlSeconds: s.accessTokenTtlSeconds,
  }));
}

/** Test and developer controls for one shop. */
export function configureSandboxShop(
  domain: string,
  settings: { accessTokenTtlSeconds?: number; grantedScopes?: string; revokeAccessTokens?: boolean; onlineTokensUnavailable?: boolean },
): SandboxShopView {
  const shop = shopState(domain);
  if (settings.onlineTokensUnavailable !== undefined) shop.onlineTokensUnavailable = settings.onlineTokensUnavailable;
  if (settings.accessTokenTtlSeconds !== undefined) shop.accessTokenTtlSeconds = settings.accessTokenTtlSeconds;
  if (settings.grantedScopes !== undefined) shop.grantedScopes = settings.grantedScopes;
  if (settings.revokeAccessTokens) revokeTokensOf(domain);
  return listSandboxShops().find((s) => s.domain === domain) as SandboxShopView;
}

function revokeTokensOf(domain: string): void {
  for (const token of state().accessTokens.values()) if (token.shop === domain) token.revoked = true;
  for (const [value, token] of state().refreshTokens) if (token.shop === domain) state().refreshTokens.delete(value);
}

/** The merchant removes the app: its tokens stop working (the app/uninstalled webhook is sent separately). */
export function uninstallSandboxApp(domain: string): void {
  shopState(domain).grantedScopes = null;
  revokeTokensOf(domain);
}

// --- the platform-call counter ------------------------------------------------

export type PlatformCallKind =
  | "oauth.authorization_code"
  | "oauth.token_exchange"
  | "oauth.token_exchange_online"
  | "oauth.refresh_token"
  | "oauth.invalid"
  | "admin.graphql"
  | "other";

function count(kind: PlatformCallKind): void {
  const calls = state().calls;
  calls[kind] = (calls[kind] ?? 0) + 1;
}

/** Every call the app made to the sandboxed Shopify, by kind, since the process started. */
export function sandboxPlatformCalls(): { total: number; byKind: Record<string, number> } {
  const byKind = { ...state().calls };
  return { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind };
}

// --- signing, exactly as Shopify does -------------------------------------------

/** A session token as App Bridge hands it to the app: HS256, signed with the app secret, one minute of life. */
export async function signSandboxSessionToken(input: {
  shop: string;
  userId?: string;
  sid?: string;
  ttlSeconds?: number;
  issuedAt?: Date;
}): Promise<string> {
  const issuedAt = Math.floor((input.issuedAt ?? now()).getTime() / 1000);
  const userId = input.userId ?? DEFAULT_SANDBOX_USER;
  return new SignJWT({ dest: `https://${input.shop}`, sid: input.sid ?? sandboxSid(input.shop, userId) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(`https://${input.shop}/admin`)
    .setAudience(SANDBOX_API_KEY)
    .setSubject(userId)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + (input.ttlSeconds ?? SESSION_TOKEN_TTL_SECONDS))
    .setJti(randomUUID())
    .sign(secretKey());
}

/** One admin login of one staff member: stable, like Shopify's `sid` for a browser session. */
export function sandboxSid(shop: string, userId: string): string {
  return createHmac("sha256", sandboxShopifyCredentials().apiSecret).update(`sid|${shop}|${userId}`).digest("hex").slice(0, 32);
}

/**
 * The `hmac` Shopify puts on the URLs it sends merchants to (admin entry,
 * OAuth callback): hex HMAC-SHA256 over the other parameters, sorted.
 */
export function signSandboxQuery(params: Record<string, string>): URLSearchParams {
  const sorted = Object.keys(params)
    .filter((k) => k !== "hmac" && k !== "signature")
    .sort((a, b) => a.localeCompare(b));
  const message = new URLSearchParams(sorted.map((k) => [k, params[k]])).toString();
  const hmac = createHmac("sha256", sandboxShopifyCredentials().apiSecret).update(message).digest("hex");
  return new URLSearchParams({ ...params, hmac });
}

/** The `host` parameter: base64 of the shop's admin URL, without padding. */
export function sandboxHost(shop: string): string {
  return Buffer.from(`admin.shopify.com/store/${storeNameOf(shop)}`).toString("base64").replace(/=+$/, "");
}

function unixSeconds(): string {
  // Shopify's HMAC timestamps are checked against the wall clock by the library.
  return String(Math.floor(Date.now() / 1000));
}

/** The URL the admin frames: `APP_URL/app?embedded=1&hmac&host&id_token&locale&session&shop&timestamp`. */
export async function sandboxAdminEntryUrl(shop: string, options: { userId?: string; sid?: string } = {}): Promise<string> {
  const userId = options.userId ?? DEFAULT_SANDBOX_USER;
  const sid = options.sid ?? sandboxSid(shop, userId);
  const params = signSandboxQuery({
    embedded: "1",
    host: sandboxHost(shop),
    id_token: await signSandboxSessionToken({ shop, userId, sid }),
    locale: "en",
    session: createHmac("sha256", "session").update(sid).digest("hex"),
    shop,
    timestamp: unixSeconds(),
  });
  return `${env().APP_URL}/app?${params}`;
}

/**
 * Shopify URLs a browser is sent to (the authorize page, the app inside the
 * admin) mapped to the sandbox's pages: on SANDBOX_ADMIN_URL when set (the
 * sandbox plays Shopify from another site), else relative, so they resolve
 * against whichever origin the browser reached the app on.
 */
export function sandboxBrowserUrl(url: string): string {
  const parsed = new URL(url);
  const shopMatch = SHOP_DOMAIN.exec(parsed.hostname);
  if (shopMatch && parsed.pathname === "/admin/oauth/authorize") {
    const params = new URLSearchParams(parsed.search);
    params.set("shop", parsed.hostname);
    return sandboxAdminUrl(`/sandbox/shopify/authorize?${params}`);
  }
  const adminMatch = /^\/store\/([a-z0-9][a-z0-9-]*)(\/|$)/.exec(parsed.pathname);
  if (parsed.hostname === "admin.shopify.com" && adminMatch) return sandboxAdminUrl(`/sandbox/shopify/admin/${adminMatch[1]}`);
  return url;
}

// --- the OAuth authorize page ----------------------------------------------------

const authorizeSchema = z.object({
  shop: z.string().regex(SHOP_DOMAIN, "shop must be a sandbox .myshopify.com domain"),
  client_id: z.literal(SANDBOX_API_KEY, "client_id is not the sandbox app's API key"),
  scope: z.string(),
  redirect_uri: z.url(),
  state: z.string().min(1),
});
export type AuthorizeRequest = z.infer<typeof authorizeSchema>;

/** Validate an authorize request as Shopify would; the redirect URI must be the app's registered callback. */
export function parseAuthorizeRequest(params: URLSearchParams): { ok: true; request: AuthorizeRequest } | { ok: false; message: string } {
  const parsed = authorizeSchema.safeParse(Object.fromEntries(params));
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  const allowed = `${env().APP_URL}/install/shopify/callback`;
  if (parsed.data.redirect_uri !== allowed) {
    return { ok: false, message: `redirect_uri must be the app's registered callback, ${allowed}` };
  }
  return { ok: true, request: parsed.data };
}

/** The merchant approves: a one-time code, and the signed callback URL Shopify redirects to. */
export function approveAuthorization(request: AuthorizeRequest): string {
  const code = randomBytes(16).toString("hex");
  state().codes.set(code, { shop: request.shop, expiresAt: now().getTime() + CODE_TTL_MS });
  const params = signSandboxQuery({
    code,
    host: sandboxHost(request.shop),
    shop: request.shop,
    state: request.state,
    timestamp: unixSeconds(),
  });
  return `${request.redirect_uri}?${params}`;
}

// --- server-to-server: the token endpoint and the Admin API ------------------------

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const tokenRequestSchema = z.object({
  client_id: z.string(),
  client_secret: z.string(),
  grant_type: z.string().optional(),
  code: z.string().optional(),
  subject_token: z.string().optional(),
  subject_token_type: z.string().optional(),
  requested_token_type: z.string().optional(),
  refresh_token: z.string().optional(),
  expiring: z.enum(["0", "1"]).optional(),
});

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token";
const ONLINE_TOKEN = "urn:shopify:params:oauth:token-type:online-access-token";
/** Shopify's online access tokens live about a day. */
const ONLINE_TOKEN_TTL_SECONDS = 86_399;

/** The sandbox's staff: the default user is Sam Sommelier; other ids get a stable name from this list. */
const STAFF_NAMES: Array<[string, string]> = [
  ["Ada", "Vintner"],
  ["Bo", "Cellarman"],
  ["Cleo", "Taster"],
  ["Dev", "Decanter"],
  ["Eva", "Barrel"],
];

/** A staff member of a sandbox shop, as Shopify's `associated_user` describes one. */
export function sandboxStaffMember(domain: string, userId: string) {
  const [first, last] =
    userId === DEFAULT_SANDBOX_USER
      ? ["Sam", "Sommelier"]
      : STAFF_NAMES[createHmac("sha256", "staff").update(userId).digest()[0] % STAFF_NAMES.length];
  const numericId = Number.parseInt(userId, 10);
  return {
    id: Number.isSafeInteger(numericId) ? numericId : 0,
    first_name: first,
    last_name: last,
    email: `${first}.${last}@${storeNameOf(domain)}.example`.toLowerCase(),
    account_owner: userId === DEFAULT_SANDBOX_USER,
    locale: "en",
    collaborator: false,
    email_verified: true,
  };
}

/** An online access token for one staff member, in Shopify's wire format (with `associated_user`). */
function issueOnlineToken(domain: string, userId: string) {
  const shop = shopState(domain);
  const accessToken = `shpua_${randomBytes(16).toString("hex")}`;
  state().accessTokens.set(accessToken, { shop: domain, expiresAt: now().getTime() + ONLINE_TOKEN_TTL_SECONDS * 1000, revoked: false });
  const scope = shop.grantedScopes ?? appScopes();
  return {
    access_token: accessToken,
    scope,
    expires_in: ONLINE_TOKEN_TTL_SECONDS,
    associated_user_scope: scope,
    session: randomBytes(16).toString("hex"),
    account_number: 0,
    associated_user: sandboxStaffMember(domain, userId),
  };
}

function issueOfflineToken(domain: string, expiring: boolean) {
  const shop = shopState(domain);
  const accessToken = `shpat_${randomBytes(16).toString("hex")}`;
  const at = now().getTime();
  const expiresAt = expiring ? at + shop.accessTokenTtlSeconds * 1000 : null;
  state().accessTokens.set(accessToken, { shop: domain, expiresAt, revoked: false });
  const body: Record<string, unknown> = { access_token: accessToken, scope: shop.grantedScopes ?? appScopes() };
  if (expiring) {
    const refreshToken = `shprt_${randomBytes(16).toString("hex")}`;
    state().refreshTokens.set(refreshToken, { shop: domain, expiresAt: at + REFRESH_TOKEN_TTL_SECONDS * 1000 });
    Object.assign(body, {
      expires_in: shop.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
    });
  }
  return body;
}

async function accessTokenEndpoint(domain: string, request: Request): Promise<Response> {
  const parsed = tokenRequestSchema.safeParse(await readJsonBody(request));
  const credentials = sandboxShopifyCredentials();
  if (!parsed.success || parsed.data.client_id !== credentials.apiKey || parsed.data.client_secret !== credentials.apiSecret) {
    count("oauth.invalid");
    return jsonResponse(400, { error: "invalid_client", error_description: "Client credentials are invalid." });
  }
  const body = parsed.data;
  const expiring = body.expiring === "1";
  const at = now().getTime();

  if (body.grant_type === TOKEN_EXCHANGE) {
    const online = body.requested_token_type === ONLINE_TOKEN;
    count(online ? "oauth.token_exchange_online" : "oauth.token_exchange");
    if (!online && body.requested_token_type !== OFFLINE_TOKEN) {
      return jsonResponse(400, { error: "unsupported_token_type", error_description: "Unknown requested_token_type." });
    }
    let userId: string;
    try {
      const { payload } = await jwtVerify(body.subject_token ?? "", secretKey(), {
        algorithms: ["HS256"],
        audience: credentials.apiKey,
        currentDate: now(),
        clockTolerance: 10,
      });
      if (payload.dest !== `https://${domain}`) throw new Error("dest");
      userId = String(payload.sub ?? "");
    } catch {
      return jsonResponse(400, { error: "invalid_subject_token", error_description: "The subject token is invalid." });
    }
    const shop = shopState(domain);
    if (online) {
      if (shop.onlineTokensUnavailable) return jsonResponse(503, { errors: "Service Unavailable" });
      // An online token is for a user of an installed app.
      if (shop.grantedScopes === null) return jsonResponse(400, { error: "invalid_request", error_description: "The app is not installed." });
      return jsonResponse(200, issueOnlineToken(domain, userId));
    }
    shop.grantedScopes ??= appScopes(); // managed install: the merchant installed from the admin
    return jsonResponse(200, issueOfflineToken(domain, expiring));
  }

  if (body.grant_type === "refresh_token") {
    count("oauth.refresh_token");
    const issued = state().refreshTokens.get(body.refresh_token ?? "");
    // Refresh tokens are single use: a second refresh with the same one fails.
    state().refreshTokens.delete(body.refresh_token ?? "");
    if (!issued || issued.shop !== domain || issued.expiresAt <= at) {
      return jsonResponse(400, { error: "invalid_grant", error_description: "The refresh token is invalid or expired." });
    }
    return jsonResponse(200, issueOfflineToken(domain, true));
  }

  count("oauth.authorization_code");
  const code = state().codes.get(body.code ?? "");
  state().codes.delete(body.code ?? ""); // codes are single use
  if (!code || code.shop !== domain || code.expiresAt <= at) {
    return jsonResponse(400, { error: "invalid_request", error_description: "The authorization code was not found or was already used." });
  }
  shopState(domain).grantedScopes = appScopes();
  return jsonResponse(200, issueOfflineToken(domain, expiring));
}

function adminGraphql(domain: string, request: Request): Response {
  count("admin.graphql");
  const token = state().accessTokens.get(request.headers.get("X-Shopify-Access-Token") ?? "");
  const live = token && token.shop === domain && !token.revoked && (token.expiresAt === null || token.expiresAt > now().getTime());
  if (!live) {
    return jsonResponse(401, { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
  }
  const shop = shopState(domain);
  return jsonResponse(200, { data: { shop: { name: shop.name, myshopifyDomain: shop.domain } } });
}

/** The sandbox's side of the library's fetch hook: a request to `https://{shop}.myshopify.com/...`. */
export async function handleSandboxPlatformRequest(request: Request): Promise<Response> {
  assertNotProduction();
  const url = new URL(request.url);
  if (!SHOP_DOMAIN.test(url.hostname)) {
    count("other");
    return jsonResponse(404, { errors: "Not Found" });
  }
  if (request.method === "POST" && url.pathname === "/admin/oauth/access_token") {
    return accessTokenEndpoint(url.hostname, request);
  }
  if (request.method === "POST" && /^\/admin\/api\/[^/]+\/graphql\.json$/.test(url.pathname)) {
    return adminGraphql(url.hostname, request);
  }
  count("other");
  return jsonResponse(404, { errors: "Not Found" });
}

// --- webhooks ---------------------------------------------------------------------

export const SANDBOX_WEBHOOK_TOPICS = [
  "app/uninstalled",
  "app/scopes_update",
  "customers/data_request",
  "customers/redact",
  "shop/redact",
] as const;
export type SandboxWebhookTopic = (typeof SANDBOX_WEBHOOK_TOPICS)[number];

function shopId(domain: string): number {
  return Number.parseInt(createHmac("sha256", "shop-id").update(domain).digest("hex").slice(0, 10), 16);
}

/** What Shopify sends for each topic (trimmed to the fields that matter). */
export function sandboxWebhookPayload(topic: SandboxWebhookTopic, domain: string): Record<string, unknown> {
  const id = shopId(domain);
  const customer = { id: 207119551, email: "customer@example.com", phone: "555-625-1199" };
  switch (topic) {
    case "app/uninstalled":
      return { id, name: shopState(domain).name, domain, myshopify_domain: domain, email: `owner@${domain}` };
    case "app/scopes_update":
      return {
        id,
        previous: appScopes().split(","),
        current: (shopState(domain).grantedScopes ?? appScopes()).split(","),
        updated_at: now().toISOString(),
        created_at: now().toISOString(),
      };
    case "customers/data_request":
      return { shop_id: id, shop_domain: domain, orders_requested: [299938], customer, data_request: { id: 9999 } };
    case "customers/redact":
      return { shop_id: id, shop_domain: domain, customer, orders_to_redact: [299938] };
    case "shop/redact":
      return { shop_id: id, shop_domain: domain };
  }
}

/** A delivery exactly as Shopify makes it: raw JSON body and its base64 HMAC in X-Shopify-Hmac-Sha256. */
export function signSandboxWebhook(input: {
  shop: string;
  topic: string;
  body: string;
  webhookId?: string;
  triggeredAt?: Date;
}): { headers: Record<string, string>; body: string; webhookId: string } {
  const webhookId = input.webhookId ?? randomUUID();
  const hmac = createHmac("sha256", sandboxShopifyCredentials().apiSecret).update(input.body, "utf8").digest("base64");
  return {
    webhookId,
    body: input.body,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": input.topic,
      "X-Shopify-Hmac-Sha256": hmac,
      "X-Shopify-Shop-Domain": input.shop,
      "X-Shopify-API-Version": "2026-07",
      "X-Shopify-Webhook-Id": webhookId,
      "X-Shopify-Event-Id": randomUUID(),
      "X-Shopify-Triggered-At": (input.triggeredAt ?? now()).toISOString(),
    },
  };
}

/**
 * Send a signed delivery to the app over HTTP, as Shopify would. For
 * app/uninstalled the app is first removed from the sandbox shop (its tokens
 * stop working), as on Shopify.
 */
export async function deliverSandboxWebhook(input: {
  appOrigin: string;
  shop: string;
  topic: SandboxWebhookTopic;
  webhookId?: string;
}): Promise<{ status: number; webhookId: string }> {
  assertNotProduction();
  if (input.topic === "app/uninstalled") uninstallSandboxApp(input.shop);
  const delivery = signSandboxWebhook({
    shop: input.shop,
    topic: input.topic,
    body: JSON.stringify(sandboxWebhookPayload(input.topic, input.shop)),
    webhookId: input.webhookId,
  });
  const response = await fetch(`${input.appOrigin}/webhooks/shopify`, {
    method: "POST",
    headers: delivery.headers,
    body: delivery.body,
  });
  await response.body?.cancel();
  return { status: response.status, webhookId: delivery.webhookId };
}

// --- the admin page --------------------------------------------------------------

/** What the sandbox admin page needs to frame the app for one staff member of one shop. */
export async function sandboxAdminFrame(
  store: string,
  options: { userId?: string | null; sid?: string | null } = {},
): Promise<{ shop: string; shopName: string; iframeSrc: string; appOrigin: string; tokenUrl: string } | null> {
  const shop = sandboxShopDomain(store);
  if (!shop) return null;
  const userId = options.userId || DEFAULT_SANDBOX_USER;
  const sid = options.sid || sandboxSid(shop, userId);
  const tokenUrl = `/sandbox/shopify/session-token?${new URLSearchParams({ shop, user: userId, sid })}`;
  return {
    shop,
    shopName: shopState(shop).name,
    iframeSrc: await sandboxAdminEntryUrl(shop, { userId, sid }),
    appOrigin: new URL(env().APP_URL).origin,
    tokenUrl,
  };
}

/**
 * Each browser's own admin login: Shopify gives every browser session of a
 * staff member its own `sid`, so a second browser is a second session, not a
 * take-over of the first. `browserId` is the sandbox admin's random cookie.
 */
export function sandboxBrowserSid(browserId: string, shop: string, userId: string): string {
  return createHmac("sha256", sandboxShopifyCredentials().apiSecret)
    .update(`browser-sid|${browserId}|${shop}|${userId}`)
    .digest("hex")
    .slice(0, 32);
}

const browserCookie = createCookie("sandbox_shopify_browser", { path: "/sandbox/shopify", httpOnly: true, sameSite: "lax" });

/**
 * This browser's id for sandboxBrowserSid: from the sandbox admin's cookie,
 * or new for a browser's first page load (a document request). A script's
 * fetch without the cookie gets none (the stable sid per staff member).
 */
export async function sandboxBrowserId(request: Request): Promise<{ id: string | null; setCookie: string | null }> {
  const kept: unknown = await browserCookie.parse(request.headers.get("Cookie"));
  if (typeof kept === "string" && /^[0-9a-f]{32}$/.test(kept)) return { id: kept, setCookie: null };
  if (request.headers.get("Sec-Fetch-Dest") !== "document") return { id: null, setCookie: null };
  const id = randomBytes(16).toString("hex");
  return { id, setCookie: await browserCookie.serialize(id) };
}

/** The app page a sandbox admin reopens on reload (kept in the admin's URL); only /app and its pages. */
export function sandboxAppPath(value: string | null): string {
  return value && /^\/app(\/[a-z][a-z0-9-]*)*$/.test(value) && value.length <= 100 ? value : "/app";
}
