/**
 * The platforms' outside world, as one plug. Production code reaches Shopify
 * through the fetch @shopify/shopify-api uses and Commerce7 through a base
 * URL; it reads this seam and never imports the platform sandbox.
 *
 * One composition root (boot() in server-lifecycle.server.ts) decides at
 * start-up whether the sandbox is plugged in: only outside production and
 * only when no real platform credentials are configured. Unplugged, its
 * routes answer 404, the clock cannot be moved, and no sandbox module is
 * loaded. The same rule is checked again on every call (sandboxAllowed), so
 * settings that name real credentials switch the sandbox off even if it was
 * plugged.
 */
import { env, type Env } from "~/lib/env.server";

export interface PlugCredentials {
  user: string;
  password: string;
}

/** Shopify, as the sandbox plays it: its credentials, its hosts (the library's fetch), its pages. */
export interface ShopifyPlug {
  credentials(): { apiKey: string; apiSecret: string };
  /** A request the library makes to Shopify (OAuth token endpoint, Admin API). */
  fetch(request: Request): Promise<Response>;
  /** A Shopify page the browser is sent to (the authorize page, the admin), as the stand-in serves it. */
  browserUrl(url: string): string;
  /** The admin page of a store, where a merchant opens the app again. */
  adminUrl(store: string): string;
  appBridgeScriptUrl: string;
}

/** Commerce7, as the sandbox plays it: another Commerce7 at its own base URL. */
export interface Commerce7Plug {
  apiUrl(): string;
  appCredentials(): PlugCredentials;
  installCredentials(): PlugCredentials;
  /** Calls to apiUrl() are answered in this process (APP_URL is the public address; the server may not reach itself). */
  fetch(request: Request): Promise<Response>;
  adminUrl(tenantId: string): string;
  scriptUrl: string;
}

export interface PlatformPlug {
  shopify: ShopifyPlug;
  commerce7: Commerce7Plug;
  /** The origin the sandbox admins are served on, when it is another site than the app's (SANDBOX_ADMIN_URL). */
  adminOrigin(): string | null;
}

let plugged: PlatformPlug | null = null;

/**
 * The one rule: a sandbox may stand in for the platforms only outside
 * production and only while no real platform credentials are configured
 * (either platform's: with real credentials anywhere the process serves real
 * merchants, and the sandbox's clock and admin pages would reach their sessions).
 */
export function sandboxAllowed(e: Env = env()): boolean {
  return !e.isProduction && !e.SHOPIFY_API_KEY && !e.COMMERCE7_APP_ID;
}

/** The composition root plugs the sandbox in (or out, with null). */
export function plugPlatformSandbox(plug: PlatformPlug | null): void {
  plugged = plug;
}

/** The plugged sandbox, or null when none is plugged or the settings forbid it now. */
export function platformSandbox(): PlatformPlug | null {
  return plugged && sandboxAllowed() ? plugged : null;
}

/** Sandbox routes call this first: 404 (as if absent) unless the sandbox is plugged in. */
export function requireSandbox(): PlatformPlug {
  const sandbox = platformSandbox();
  if (!sandbox) throw new Response("Not Found", { status: 404 });
  return sandbox;
}
