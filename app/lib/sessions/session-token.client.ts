/**
 * The app session token of this tab, for browsers that refuse the app's
 * cookie inside the admin's iframe (Safari; any browser blocking third-party
 * cookies). DESIGN.md, "Cookies inside an iframe".
 *
 * - The entry's page carries a one-time handoff code (never the token; see
 *   app/lib/sessions/handoff.server.ts). redeemHandoff() POSTs it back, same
 *   origin; if the browser kept the cookie, nothing more is needed. If not,
 *   the answer holds the session's new token, kept for this tab only
 *   (sessionStorage; in memory where storage is refused).
 * - installSessionTokenFetch() wraps window.fetch so that the app's OWN
 *   same-origin requests (Remix data requests and form submissions, which go
 *   through fetch) carry `Authorization: Bearer <token>`. Other origins never
 *   see it. Requests wait for a handoff in flight, so none races the rotation.
 * - A token rotated by the server ("keep me signed in") arrives in the
 *   `X-App-Session-Token` response header and replaces the kept one; a 401
 *   or a logout forgets it.
 * - In the Shopify admin, App Bridge adds its own session token to the same
 *   requests (it wraps fetch first); this module then keeps out of its way.
 *
 * The token never goes into a URL, the page or a log. Hand-written: no
 * library does "bearer from a one-time handoff" for a Remix page.
 */
import type { ShopifyGlobal } from "@shopify/app-bridge-types";

const STORAGE_KEY = "app-session-token";
const HANDOFF_PATH = "/auth/session-handoff";
const LOGOUT_PATH = "/logout";
const ROTATED_TOKEN_HEADER = "X-App-Session-Token";
/** The shape of our tokens (32 random bytes, base64url); anything else is not kept. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

let memory: string | null = null;
let baseFetch: typeof fetch | null = null;
let pending: Promise<void> | null = null;
const redeemed = new Set<string>();

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage refused (some third-party contexts): memory only
  }
}

function keep(token: string): void {
  if (!TOKEN_SHAPE.test(token)) return;
  memory = token;
  try {
    storage()?.setItem(STORAGE_KEY, token);
  } catch {
    // quota or privacy mode: memory is enough for this page
  }
}

/** Forget this tab's token (logout, a 401, a new entry, a browser that kept the cookie). */
export function forgetSessionToken(): void {
  memory = null;
  try {
    storage()?.removeItem(STORAGE_KEY);
  } catch {
    // nothing kept
  }
}

function kept(): string | null {
  if (memory) return memory;
  try {
    const stored = storage()?.getItem(STORAGE_KEY) ?? null;
    memory = stored && TOKEN_SHAPE.test(stored) ? stored : null;
  } catch {
    memory = null;
  }
  return memory;
}

/** App Bridge is on the page (the Shopify admin): its session token carries the requests. */
function appBridgePresent(): boolean {
  // Typed by @shopify/app-bridge-types; present only inside the Shopify admin.
  const bridge = window.shopify as ShopifyGlobal | undefined;
  return typeof bridge?.idToken === "function";
}

function isOwnUrl(url: URL): boolean {
  return url.origin === window.location.origin;
}

async function appFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const send = baseFetch as typeof fetch;
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (!isOwnUrl(url) || url.pathname === HANDOFF_PATH) return send(request);
  if (pending) await pending;

  const token = appBridgePresent() ? null : kept();
  let sent = request;
  if (token && !request.headers.has("Authorization")) {
    const headers = new Headers(request.headers);
    headers.set("Authorization", `Bearer ${token}`);
    sent = new Request(request, { headers });
  }
  const response = await send(sent);
  if (sent !== request) {
    const rotated = response.headers.get(ROTATED_TOKEN_HEADER);
    if (rotated) keep(rotated);
    if (response.status === 401) forgetSessionToken();
  }
  if (url.pathname === LOGOUT_PATH && request.method === "POST") forgetSessionToken();
  return response;
}

/** Wrap window.fetch once, before the app hydrates (after App Bridge, which loads first). */
export function installSessionTokenFetch(): void {
  if (baseFetch || typeof window === "undefined") return;
  baseFetch = window.fetch.bind(window);
  window.fetch = appFetch;
}

/**
 * Redeem the one-time code the entry rendered. Requests made meanwhile wait
 * for it. A code is redeemed once; a failed redemption leaves the tab
 * without a token (the cookie, if the browser kept it, still works).
 */
export function redeemHandoff(code: string): Promise<void> {
  if (redeemed.has(code)) return pending ?? Promise.resolve();
  redeemed.add(code);
  // A new entry: whatever this tab held belongs to an earlier session, which
  // the server ends (and whose "keep me signed in" it carries over).
  const previous = appBridgePresent() ? null : kept();
  forgetSessionToken();
  const send = baseFetch ?? window.fetch.bind(window);
  const run = (async () => {
    try {
      const response = await send(HANDOFF_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(previous ? { code, previous } : { code }),
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const body = (await response.json()) as { credential?: string; token?: unknown };
      if (body.credential === "bearer" && typeof body.token === "string") keep(body.token);
    } catch {
      // offline or refused: the next request says what happened
    }
  })();
  const settled: Promise<void> = run.finally(() => {
    if (pending === settled) pending = null;
  });
  pending = settled;
  return settled;
}

/**
 * Another tab logged out: end this tab's own session too (it has one of its
 * own when it holds a token) and forget it. Bounded, so the tab still moves
 * on at once if the server is slow.
 */
export async function endTabSession(timeoutMs = 1000): Promise<void> {
  const token = kept();
  forgetSessionToken();
  if (!token || appBridgePresent()) return;
  const send = baseFetch ?? window.fetch.bind(window);
  const logout = send(LOGOUT_PATH, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    credentials: "omit",
    keepalive: true,
  }).then(
    () => undefined,
    () => undefined,
  );
  await Promise.race([logout, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs))]);
}
