import { env } from "~/lib/env.server";

/**
 * Response headers for pages the admin frames. server.js adds the same
 * defaults to every other response (static files, JSON, redirects).
 */

/**
 * Who may frame a page: the Shopify admin and shop, the Commerce7 admin, and
 * in development the app itself (the platform sandbox frames it). Shopify asks
 * for the specific shop when it is known; see frameAncestorsFor.
 */
const SHOPIFY_ADMIN = "https://admin.shopify.com";
const ANY_SHOP = "https://*.myshopify.com";
const COMMERCE7_ADMIN = "https://*.commerce7.com";

const extraFrameAncestors: string[] = [];

/** The platform sandbox (development only) adds its own origin here. */
export function allowFrameAncestor(origin: string): void {
  if (!extraFrameAncestors.includes(origin)) extraFrameAncestors.push(origin);
}

export function frameAncestorsFor(shop?: string | null): string {
  // Development and tests: the platform sandbox's admin pages on another site
  // than the app (SANDBOX_ADMIN_URL; the settings refuse it in production).
  const sandboxAdmin = env().SANDBOX_ADMIN_URL;
  const sources = [
    "'self'",
    SHOPIFY_ADMIN,
    shop ? `https://${shop}` : ANY_SHOP,
    COMMERCE7_ADMIN,
    ...extraFrameAncestors,
    ...(sandboxAdmin ? [sandboxAdmin] : []),
  ];
  return `frame-ancestors ${sources.join(" ")}`;
}

export function applyDocumentHeaders(headers: Headers, shop?: string | null): void {
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", frameAncestorsFor(shop));
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
}
