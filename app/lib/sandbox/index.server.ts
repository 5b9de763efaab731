/**
 * The platform sandbox: local stand-ins for Shopify and Commerce7 that speak
 * their real wire formats, so a newcomer (and the test suites) can install,
 * open, navigate and log out with no platform account. It is plugged in by
 * the composition root (server-lifecycle.server.ts) through
 * platform-plug.server.ts, never in production: reaching it there throws,
 * and its routes answer 404.
 */
import { env } from "~/lib/env.server";

export class SandboxInProductionError extends Error {
  constructor() {
    super("The platform sandbox cannot run with NODE_ENV=production.");
    this.name = "SandboxInProductionError";
  }
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
