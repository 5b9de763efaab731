import { env } from "~/lib/env.server";
import { platformSandbox } from "~/lib/platforms/plug.server";

/**
 * Response headers for pages the admin frames. server.js adds the same
 * defaults to every other response (static files, JSON, redirects).
 */

/**
 * Who may frame a page: the admin of the platform the request's session
 * belongs to (the specific shop for Shopify, as Shopify asks), and outside
 * production the app itself (the platform sandbox frames it). A page with no
 * proven session (the landing page, a refusal) may be framed by either admin,
 * since either may have opened it.
 */
const SHOPIFY_ADMIN = "https://admin.shopify.com";
const ANY_SHOP = "https://*.myshopify.com";
const COMMERCE7_ADMIN = "https://*.commerce7.com";

/** What the request proved about who frames it: nothing, or its session's platform (and shop). */
export type FramedBy = { platform: "shopify"; shop: string } | { platform: "commerce7" } | null;

export function frameAncestorsFor(framedBy: FramedBy = null): string {
  const admins =
    framedBy?.platform === "shopify"
      ? [SHOPIFY_ADMIN, `https://${framedBy.shop}`]
      : framedBy?.platform === "commerce7"
        ? [COMMERCE7_ADMIN]
        : [SHOPIFY_ADMIN, ANY_SHOP, COMMERCE7_ADMIN];
  // Development and tests: the platform sandbox's admin pages on another site
  // than the app (SANDBOX_ADMIN_URL), only while the sandbox is plugged in.
  const sandboxAdmin = platformSandbox()?.adminOrigin() ?? null;
  // 'self': the sandbox admin frames the app from its own origin; production has no sandbox.
  const self = env().isProduction ? [] : ["'self'"];
  const sources = [...self, ...admins, ...(sandboxAdmin ? [sandboxAdmin] : [])];
  return `frame-ancestors ${sources.join(" ")}`;
}

export function applyDocumentHeaders(headers: Headers, framedBy: FramedBy = null): void {
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", frameAncestorsFor(framedBy));
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
}
