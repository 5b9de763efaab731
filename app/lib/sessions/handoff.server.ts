/**
 * The one-time handoff of an app session token to the page, for browsers
 * that refuse the app's cookie inside the admin's iframe (DESIGN.md,
 * "Cookies inside an iframe"). Shopify pages need none of this: App Bridge's
 * session token carries every request. Commerce7 pages do:
 *
 *   1. the entry (a document) renders a one-time CODE for the page
 *      (issueSessionHandoff): 192 random bits, valid 60 s, single use, its
 *      SHA-256 on the session row. Never the token: a token is never in a URL
 *      or in the HTML (loader data included);
 *   2. the page's client module (app/lib/sessions/session-token.client.ts) POSTs the
 *      code, same origin, to /auth/session-handoff (redeemSessionHandoff);
 *   3. one SQL function spends the code and gives the session a NEW token in
 *      the same statement. If the browser kept the entry's cookie, the answer
 *      is just the rotated cookie; otherwise the new token comes back in the
 *      JSON body, to that page only, and the page sends it as
 *      `Authorization: Bearer` on its own same-origin requests.
 *
 * A spent, unknown or late code gets 401; the code is never a credential by
 * itself (no session lookup reads it). Redemptions are rate limited per IP and
 * failures go to the audit trail, as for the entries.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { logSessionEvent, recordAuthFailure } from "~/lib/operations/audit.server";
import { now } from "~/lib/clock.server";
import { fromOwnOrigin } from "~/lib/sessions/csrf.server";
import { getStore } from "~/lib/db/index.server";
import type { AppSessionRecord } from "~/lib/db/store.server";
import { jsonError, NO_STORE, originOf, sessionRequiredResponse, withDatabase } from "~/lib/http.server";
import { enforceRateLimit } from "~/lib/operations/rate-limit.server";
import { readJsonBody } from "~/lib/request-body.server";
import {
  createSessionCookie,
  generateSessionToken,
  hashSessionToken,
  rotateAppSession,
  sessionCookieToken,
} from "~/lib/sessions/core.server";

export const HANDOFF_PATH = "/auth/session-handoff";
/** The page redeems its code as soon as it runs; a minute is plenty, and short. */
export const HANDOFF_TTL_SECONDS = 60;
/** 24 random bytes as base64url: 32 characters, a different shape from a session token (43). */
const CODE_SHAPE = /^[A-Za-z0-9_-]{32}$/;

function hashCode(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}

/**
 * A one-time handoff code for a session an entry has just started, or null if
 * the session ended meanwhile. Only the code's hash is stored.
 */
export async function issueSessionHandoff(session: Pick<AppSessionRecord, "id">): Promise<string | null> {
  const code = randomBytes(24).toString("base64url");
  const store = await getStore();
  const issued = await store.issueAppSessionHandoff(session.id, hashCode(code), HANDOFF_TTL_SECONDS, now());
  return issued ? code : null;
}

const bodySchema = z.object({
  code: z.string().regex(CODE_SHAPE),
  // The token this tab held from an earlier entry (cookies refused): this entry replaces it.
  previous: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional()
    .catch(undefined),
});

/**
 * A tab that refused the cookie opened the app again: its earlier session
 * (the token it held) ends, so one browser tab is one session, as the cookie
 * gives (enterAppSession). "Keep me signed in", chosen on this device by the
 * same user, carries over to the new session. Returns the new session's
 * token and remember-me (rotated if it carried over).
 */
async function replacePreviousTabSession(
  request: Request,
  session: AppSessionRecord,
  token: string,
  previousToken: string | undefined,
): Promise<{ token: string; rememberMe: boolean }> {
  if (!previousToken) return { token, rememberMe: session.rememberMe };
  const store = await getStore();
  const { status, session: previous } = await store.validateAppSession(hashSessionToken(previousToken), 0, now());
  if (status !== "valid" || !previous || previous.id === session.id) return { token, rememberMe: session.rememberMe };
  await store.destroyAppSession(previous.id, "replaced", now());
  const sameUser = previous.clientId === session.clientId && previous.userId === session.userId;
  if (!sameUser || !previous.rememberMe || session.rememberMe) return { token, rememberMe: session.rememberMe };
  const rotated = await rotateAppSession(session.id, { rememberMe: true });
  logSessionEvent("renewed", { subject: session, request, detail: { via: "handoff", rememberMe: true } });
  return rotated ? { token: rotated.token, rememberMe: true } : { token, rememberMe: session.rememberMe };
}

function invalidCode(): Response {
  return jsonError(
    401,
    "invalid_handoff",
    "This sign-in link has already been used or has expired. Open the app again from your admin.",
  );
}

/** POST /auth/session-handoff `{"code": "…"}`: see the top of this file. */
export async function redeemSessionHandoff(request: Request): Promise<Response> {
  return withDatabase(async () => {
    await enforceRateLimit(request, "handoff");
    // Only the app's own page may redeem (the code is in its HTML, nowhere else).
    if (!fromOwnOrigin(request)) {
      return jsonError(403, "cross_origin", "This request did not come from the app's own pages.");
    }
    if (!request.headers.get("content-type")?.toLowerCase().startsWith("application/json")) {
      return jsonError(415, "unsupported_media_type", 'Send {"code": "…"} as application/json.');
    }
    // 413 past a kilobyte (the body is one short code), 400 for what is not JSON.
    const parsed = bodySchema.safeParse(await readJsonBody(request, { maxBytes: 1024 }));
    if (!parsed.success) return jsonError(400, "bad_request", 'The body must be {"code": "<the handoff code>"}.');

    const token = generateSessionToken();
    const cookieToken = sessionCookieToken(request);
    const store = await getStore();
    const redemption = await store.redeemAppSessionHandoff(
      {
        codeHash: hashCode(parsed.data.code),
        newTokenHash: hashSessionToken(token),
        cookieTokenHash: cookieToken ? hashSessionToken(cookieToken) : null,
      },
      now(),
    );

    switch (redemption.status) {
      case "redeemed": {
        const session = redemption.session as AppSessionRecord;
        const credential = redemption.cookieMatched ? "cookie" : "bearer";
        logSessionEvent("renewed", { subject: session, request, detail: { via: "handoff", credential } });
        const current = await replacePreviousTabSession(request, session, token, parsed.data.previous);
        const headers = new Headers({
          "Set-Cookie": createSessionCookie(current.token, { rememberMe: current.rememberMe }),
          "Cache-Control": NO_STORE,
        });
        // A browser that kept the cookie needs nothing else: the token stays out of reach of the page's script.
        const body = credential === "cookie" ? { ok: true, credential } : { ok: true, credential, token: current.token };
        return Response.json(body, { headers });
      }
      case "unknown":
      case "code_expired":
        await recordAuthFailure(request, "handoff_code", {
          reason: redemption.status === "unknown" ? "unknown or already used" : "expired",
        });
        return invalidCode();
      default: {
        // The session ended before its page redeemed the code: say why, as any request would be told.
        const ended = redemption.session;
        const origin = ended ? originOf(ended) : null;
        return sessionRequiredResponse(request, redemption.status, {}, origin);
      }
    }
  });
}
