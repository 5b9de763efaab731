/**
 * Shopify test helpers: requests as the admin, App Bridge and a browser send
 * them, in process (against requireAppSession) and over HTTP (against the
 * built app and its Shopify sandbox).
 */
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { DEFAULT_SANDBOX_USER, sandboxAdminEntryUrl, signSandboxSessionToken } from "~/lib/sandbox/shopify.server";
import type { RunningApp } from "./app-server";
import { APP } from "./sessions";

/** Browsers' user agents: the library answers bots (e.g. Node's "node") with 410 on OAuth routes. */
export const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

let shopCounter = 0;
/** A fresh sandbox shop domain per test, so tests never share state. */
export function uniqueShop(label = "shop"): string {
  shopCounter += 1;
  return `${label}-${shopCounter}-${process.pid}-${randomUUID().slice(0, 6)}.myshopify.com`;
}

// --- in process ------------------------------------------------------------------

/** One request as Remix hands it to a loader (server.js stamps x-request-id). */
export function inProcessRequest(
  url: string,
  init: { accept?: "html" | "json"; cookie?: string; bearer?: string; headers?: Record<string, string> } = {},
): Request {
  const headers = new Headers({
    Accept: init.accept === "json" ? "application/json" : "text/html,application/xhtml+xml",
    "User-Agent": BROWSER_UA,
    "x-request-id": randomUUID(),
    "x-client-ip": "203.0.113.9",
    ...init.headers,
  });
  if (init.cookie) headers.set("Cookie", init.cookie);
  if (init.bearer) headers.set("Authorization", `Bearer ${init.bearer}`);
  return new Request(new URL(url, APP), { headers });
}

/** The admin framing the app: /app with signed params and a fresh id_token. */
export async function entryRequest(shop: string, options: { userId?: string; sid?: string; cookie?: string } = {}) {
  const url = await sandboxAdminEntryUrl(shop, options);
  return inProcessRequest(url.replace(/^https?:\/\/[^/]+/, ""), { cookie: options.cookie });
}

/** A data request as App Bridge sends it: `Authorization: Bearer <fresh session token>`. */
export async function bearerRequest(
  shop: string,
  options: { userId?: string; sid?: string; path?: string; token?: string } = {},
) {
  const token = options.token ?? (await signSandboxSessionToken({ shop, userId: options.userId ?? DEFAULT_SANDBOX_USER, sid: options.sid }));
  return inProcessRequest(options.path ?? "/app?_data=routes%2Fapp._index", { accept: "json", bearer: token });
}

// --- over HTTP -------------------------------------------------------------------

/** A URL the app built from APP_URL (https://app.test.example/...), on the running test server. */
export function local(app: RunningApp, url: string): string {
  const parsed = new URL(url, APP);
  return `${app.url}${parsed.pathname}${parsed.search}`;
}

/** `name=value` pairs of a response's Set-Cookie headers, as a browser would send them back. */
export function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .filter((pair) => pair.slice(pair.indexOf("=") + 1) !== "") // a cleared cookie is not sent back
    .join("; ");
}

export function browserGet(app: RunningApp, url: string, init: { cookie?: string; bearer?: string; accept?: string } = {}) {
  const headers: Record<string, string> = { "User-Agent": BROWSER_UA, Accept: init.accept ?? "text/html,application/xhtml+xml" };
  if (init.cookie) headers.Cookie = init.cookie;
  if (init.bearer) headers.Authorization = `Bearer ${init.bearer}`;
  return fetch(local(app, url), { headers, redirect: "manual" });
}

/** What the sandbox admin page frames for this shop and staff member. */
export async function adminIframeSrc(app: RunningApp, store: string, query: Record<string, string> = {}): Promise<string> {
  const search = new URLSearchParams({ ...query, _data: "routes/sandbox.shopify.admin.$store" });
  const res = await fetch(`${app.url}/sandbox/shopify/admin/${store}?${search}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { iframeSrc: string }).iframeSrc;
}

/** A fresh session token from the sandbox admin (what App Bridge gets by postMessage). */
export async function sandboxSessionToken(app: RunningApp, shop: string, query: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${app.url}/sandbox/shopify/session-token?${new URLSearchParams({ shop, ...query })}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** The sandbox's count of calls the app made to Shopify. */
export async function platformCalls(app: RunningApp): Promise<{ total: number; byKind: Record<string, number> }> {
  const res = await fetch(`${app.url}/sandbox/shopify/calls`);
  expect(res.status).toBe(200);
  return (await res.json()) as { total: number; byKind: Record<string, number> };
}

export function storeOf(shop: string): string {
  return shop.replace(/\.myshopify\.com$/, "");
}
