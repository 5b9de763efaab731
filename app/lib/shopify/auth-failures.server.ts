/**
 * Failed authentications on the Shopify side, one function per kind, so the
 * audit trail (and alerting) can hook in at one obvious place. Each logs a
 * reason code and where the request came from: never the token, HMAC, code
 * or state that failed.
 */
import { logger } from "~/lib/log.server";
import { clientIp } from "~/lib/sessions.server";

function failed(kind: string, request: Request, detail: Record<string, unknown>): void {
  logger.warn(
    {
      event: "auth.failed",
      kind,
      ...detail,
      path: new URL(request.url).pathname,
      ip: clientIp(request),
      requestId: request.headers.get("x-request-id"),
    },
    `authentication failed: ${kind}`,
  );
}

/** A session token (id_token or App Bridge bearer) did not verify. */
export function sessionTokenRejected(request: Request, reason: string, via: "entry" | "bearer"): void {
  failed("shopify.session_token", request, { reason, via });
}

/** An OAuth callback was refused: bad HMAC, unknown or reused state, foreign shop, missing cookie. */
export function oauthCallbackRejected(request: Request, reason: string, shop: string | null): void {
  failed("shopify.oauth_callback", request, { reason, shop });
}

/** A webhook delivery's HMAC did not verify (or was missing). */
export function webhookRejected(request: Request, reason: string, shop: string | null): void {
  failed("shopify.webhook_hmac", request, { reason, shop });
}
