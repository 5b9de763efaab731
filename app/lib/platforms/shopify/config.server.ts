/**
 * Shopify, configured once: the app's credentials (the real ones from the
 * settings, or the plugged sandbox's in development and tests), the
 * @shopify/shopify-api instance, and the library's fetch hook.
 *
 * Everything that talks to Shopify goes through the library, and the library
 * sends every platform request through its runtime's fetch function: the
 * platform seam. When the composition root plugged in the sandbox
 * (app/lib/platforms/plug.server.ts), that function hands the request to the
 * local Shopify stand-in instead of the network, so the code that runs in
 * tests is the code that runs in production.
 */
import "@shopify/shopify-api/adapters/web-api";
import { ApiVersion, LogSeverity, shopifyApi, type Shopify } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { env } from "~/lib/env.server";
import { logger } from "~/lib/log.server";
import { platformSandbox } from "~/lib/platforms/plug.server";

/** The Admin API version the app is written against (the newest stable one @shopify/shopify-api 13.1 knows). */
export const SHOPIFY_API_VERSION = ApiVersion.July26;

/** Where Shopify's App Bridge is served from; the admin requires this exact URL. */
export const APP_BRIDGE_URL = "https://cdn.shopify.com/shopifycloud/app-bridge.js";

export interface ShopifyCredentials {
  apiKey: string;
  apiSecret: string;
  scopes: string[];
  /** True when these are the local sandbox's credentials (development and tests only). */
  sandbox: boolean;
}

export class ShopifyNotConfiguredError extends Error {
  constructor() {
    super("Shopify is not configured: set SHOPIFY_API_KEY and SHOPIFY_API_SECRET.");
    this.name = "ShopifyNotConfiguredError";
  }
}

/** The app's Shopify credentials, or null when Shopify is not set up (and no sandbox may stand in). */
export function shopifyCredentials(): ShopifyCredentials | null {
  const e = env();
  const scopes = e.SHOPIFY_SCOPES.split(",").map((s) => s.trim()).filter(Boolean);
  if (e.SHOPIFY_API_KEY && e.SHOPIFY_API_SECRET) {
    return { apiKey: e.SHOPIFY_API_KEY, apiSecret: e.SHOPIFY_API_SECRET, scopes, sandbox: false };
  }
  const sandbox = platformSandbox();
  if (sandbox) return { ...sandbox.shopify.credentials(), scopes, sandbox: true };
  return null;
}

export function shopifyConfigured(): boolean {
  return shopifyCredentials() !== null;
}

/** The script the app's embedded pages load: Shopify's App Bridge, or the sandbox's stand-in. */
export function appBridgeScriptUrl(): string {
  const sandbox = shopifyCredentials()?.sandbox ? platformSandbox() : null;
  return sandbox ? sandbox.shopify.appBridgeScriptUrl : APP_BRIDGE_URL;
}

// The library logs with a context suffix (" | {state: …, url: …}") that can
// carry OAuth state and URLs; only the message itself reaches our logs, and
// its chatty info lines go to debug.
function libraryLog(severity: LogSeverity, message: string): void {
  const text = message.split(" | {")[0];
  if (severity === LogSeverity.Error) logger.error({ source: "shopify-api" }, text);
  else if (severity === LogSeverity.Warning) logger.warn({ source: "shopify-api" }, text);
  else logger.debug({ source: "shopify-api" }, text);
}

let instance: { key: string; api: Shopify } | undefined;

/** The configured @shopify/shopify-api instance. Throws ShopifyNotConfiguredError when there are no credentials. */
export function shopify(): Shopify {
  const credentials = shopifyCredentials();
  if (!credentials) throw new ShopifyNotConfiguredError();
  const appUrl = new URL(env().APP_URL);
  const key = [credentials.apiKey, credentials.apiSecret, credentials.scopes.join(","), appUrl.origin].join("|");
  if (instance?.key !== key) {
    instance = {
      key,
      api: shopifyApi({
        apiKey: credentials.apiKey,
        apiSecretKey: credentials.apiSecret,
        scopes: credentials.scopes,
        hostName: appUrl.host,
        hostScheme: appUrl.protocol === "http:" ? "http" : "https",
        apiVersion: SHOPIFY_API_VERSION,
        isEmbeddedApp: true,
        logger: { level: LogSeverity.Info, log: libraryLog, httpRequests: false, timestamps: false },
        _logDisabledFutureFlags: false,
      }) as unknown as Shopify,
    };
  }
  return instance.api;
}

/**
 * The library's fetch hook: every request the library makes to Shopify
 * (OAuth token endpoint, Admin API) passes here. Decided per call, so a
 * process never mixes the two: in sandbox mode Shopify's hosts are answered
 * by the local stand-in; otherwise the real network.
 */
async function platformFetch(...[input, init]: Parameters<typeof fetch>): Promise<Response> {
  const sandbox = shopifyCredentials()?.sandbox ? platformSandbox() : null;
  if (sandbox) return sandbox.shopify.fetch(new Request(input, init));
  return fetch(input, init);
}

setAbstractFetchFunc(platformFetch);
