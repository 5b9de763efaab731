/**
 * Login CSRF at the embedded entry (decision 009).
 *
 * The entry is a GET that verifies a platform credential carried in the URL
 * (Shopify's id_token, Commerce7's account token) and replaces the browser's
 * session with one for that user. An attacker's own, valid entry URL opened
 * in a victim's browser would therefore sign the victim into the attacker's
 * shop or tenant: whatever they then type lands there.
 *
 * The admins open the entry only as a frame navigation (`Sec-Fetch-Dest:
 * iframe`), and the app's own pages re-enter from the same origin (the
 * Shopify bounce page, Remix navigations). A cookie set in a cross-site frame
 * is partitioned under the framing site (or refused), so it cannot replace
 * the session the admin's frame or a top-level tab uses. Everything else
 * (a top-level navigation from another site, a link opened from mail, a
 * cross-site fetch) is refused before any platform call, session or cookie.
 *
 * Requests without fetch metadata (non-browser clients, browsers older than
 * 2023) are let through: they cannot be told apart, and a browser that old
 * does not partition cookies either (the residual risk decision 009 names).
 */
import { jsonError } from "~/lib/http.server";

const FRAME_DESTINATIONS = new Set(["iframe", "frame"]);

/** May this request, which carries a platform's entry parameters, start a session? */
export function entryContextAllowed(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site === null) return true;
  if (site === "same-origin") return true;
  return FRAME_DESTINATIONS.has(request.headers.get("sec-fetch-dest") ?? "");
}

/** Throws a 403 (JSON for data requests, a page for documents) unless the entry arrives as the admins send it. */
export function refuseEntryOutsideAdmin(request: Request, platform: string): void {
  if (entryContextAllowed(request)) return;
  const where = platform === "commerce7" ? "Commerce7" : platform === "shopify" ? "Shopify" : "platform";
  throw jsonError(
    403,
    "entry_outside_admin",
    `This sign-in link was opened outside your ${where} admin, so it was not used: it could sign this browser in as someone else. Nothing changed. Open the app from your ${where} admin.`,
    {},
    { title: `Open the app from your ${where} admin` },
  );
}
