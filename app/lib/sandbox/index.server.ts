/**
 * The platform sandbox: local stand-ins for Shopify and Commerce7 that speak
 * their real wire formats, so a newcomer (and the test suites) can install,
 * open, navigate and log out with no platform account. It never runs in
 * production: enabling it there throws, and its routes answer 404.
 */
import { env } from "~/lib/env.server";

export class SandboxInProductionError extends Error {
  constructor() {
    super("The platform sandbox cannot run with NODE_ENV=production.");
    this.name = "SandboxInProductionError";
  }
}

/** Sandbox for Shopify: on outside production when no Shopify credentials are configured. */
export function shopifySandboxEnabled(): boolean {
  const e = env();
  return !e.isProduction && !e.SHOPIFY_API_KEY;
}

/** Sandbox for Commerce7: on outside production when no Commerce7 credentials are configured. */
export function commerce7SandboxEnabled(): boolean {
  const e = env();
  return !e.isProduction && !e.COMMERCE7_APP_ID;
}

/** Sandbox routes call this first: 404 (as if absent) unless that platform's sandbox is on. */
export function requireSandbox(platform: "shopify" | "commerce7"): void {
  if (env().isProduction) throw new Response("Not Found", { status: 404 });
  const enabled = platform === "shopify" ? shopifySandboxEnabled() : commerce7SandboxEnabled();
  if (!enabled) throw new Response("Not Found", { status: 404 });
}

/** Refuse loudly if sandbox code is ever reached in production. */
export function assertNotProduction(): void {
  if (env().isProduction) throw new SandboxInProductionError();
}

/**
 * A sandbox admin page's URL (the Shopify admin, its OAuth page, the
 * Commerce7 admin): on SANDBOX_ADMIN_URL when set, so the sandbox plays the
 * platform from another site than the app, as the real admins do; otherwise
 * relative, on whatever origin the browser reached the app.
 */
export function sandboxAdminUrl(pathAndQuery: string): string {
  assertNotProduction();
  return `${env().SANDBOX_ADMIN_URL ?? ""}${pathAndQuery}`;
}
