/**
 * Failed authentications on the Shopify side, one function per kind, so the
 * audit trail (app/lib/operations/audit.server.ts: log line, metric, throttled audit
 * row) is fed from one obvious place. Each records a reason code and where
 * the request came from: never the token, HMAC, code or state that failed.
 */
import { recordAuthFailure } from "~/lib/operations/audit.server";

/** A session token (id_token or App Bridge bearer) did not verify. */
export function sessionTokenRejected(request: Request, reason: string, via: "entry" | "bearer"): void {
  void recordAuthFailure(request, "jwt", { reason, platform: "shopify", via });
}

/** An OAuth callback was refused: bad HMAC, unknown or reused state, foreign shop, missing cookie. */
export function oauthCallbackRejected(request: Request, reason: string, shop: string | null): void {
  void recordAuthFailure(request, reason.includes("hmac") ? "hmac" : "oauth_state", { reason, platform: "shopify", shop });
}

/** A webhook delivery's HMAC did not verify (or was missing). */
export function webhookRejected(request: Request, reason: string, shop: string | null): void {
  void recordAuthFailure(request, "hmac", { reason, platform: "shopify", shop, via: "webhook" });
}
