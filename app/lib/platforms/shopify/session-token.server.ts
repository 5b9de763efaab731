/**
 * Shopify session tokens (the `id_token` of an admin entry, and App Bridge's
 * `Authorization: Bearer` on the app's own fetches), verified locally: no
 * call to Shopify.
 *
 * Why jose and not `shopify.session.decodeSessionToken`: the library's
 * decoder is jose with HS256 and a 10 s clock tolerance, and checks `aud`.
 * It cannot (1) take the app's clock (app/lib/clock.server.ts; tests move
 * time instead of sleeping, and the session rules all use it), (2) require
 * the claims we rely on (`exp`, `nbf`, `dest`, `sub`, `sid`; jose accepts a
 * token without `exp` unless told otherwise), (3) check `dest` against the
 * shop in the request, or (4) fail without quoting the whole token in its
 * error message. So we call jose (the same library, same pinned algorithm
 * and tolerance) directly and add those checks. Failures are reason codes,
 * never the token.
 */
import { decodeJwt, errors, jwtVerify, type JWTPayload } from "jose";
import { now } from "~/lib/clock.server";
import { shopify, shopifyCredentials, ShopifyNotConfiguredError } from "./config.server";

/** Allowed clock skew between Shopify and us, in seconds (DESIGN.md: about 10 s, no more). */
export const CLOCK_TOLERANCE_SECONDS = 10;
/** Larger values are not looked at. Shopify's tokens are well under 1 KB. */
const MAX_TOKEN_LENGTH = 4096;
/** `sub` (a staff member's id) and `sid`: one line of up to 255 characters. */
const IDENTIFIER = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

export type SessionTokenFailure =
  | "malformed"
  | "algorithm_not_allowed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_audience"
  | "missing_claims"
  | "wrong_destination";

export interface SessionTokenClaims {
  /** The shop's domain, from `dest` (e.g. example.myshopify.com). */
  shop: string;
  /** The staff member (`sub`). */
  userId: string;
  /** Shopify's id for this admin session of this user and app (`sid`). */
  sid: string;
  expiresAt: Date;
}

export type SessionTokenResult = { ok: true; claims: SessionTokenClaims } | { ok: false; reason: SessionTokenFailure };

export interface VerifyOptions {
  apiKey: string;
  apiSecret: string;
  /** The shop the request names (`shop` parameter), if any: `dest` must be this shop. */
  shop?: string | null;
  /** Validates a shop domain (the library's sanitizeShop): returns it normalised, or null. */
  sanitizeShop: (shop: string) => string | null;
}

/** Three base64url parts: the shape of a JWT. Cheap; says nothing about validity. */
export function looksLikeJwt(value: string): boolean {
  return value.length <= MAX_TOKEN_LENGTH && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}

/**
 * Is this bearer value meant as a Shopify session token (a JWT with a `dest`
 * claim)? Reads the payload WITHOUT verifying it, only to decide who should
 * verify it; anything else is left to other resolvers.
 */
export function isShopifySessionTokenShape(value: string): boolean {
  if (!looksLikeJwt(value)) return false;
  try {
    return typeof decodeJwt(value).dest === "string";
  } catch {
    return false;
  }
}

function failureOf(error: unknown): SessionTokenFailure {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "wrong_audience";
    if (error.reason === "missing") return "missing_claims";
    if (error.claim === "nbf" || error.claim === "iat") return "not_yet_valid";
    return "malformed";
  }
  return "malformed";
}

function hostOf(url: unknown): string | null {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" ? parsed.hostname : null;
  } catch {
    return null;
  }
}

export async function verifySessionToken(token: string, options: VerifyOptions): Promise<SessionTokenResult> {
  if (!looksLikeJwt(token)) return { ok: false, reason: "malformed" };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(options.apiSecret), {
      algorithms: ["HS256"],
      audience: options.apiKey,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now(),
      requiredClaims: ["exp", "nbf", "dest", "iss", "sub", "sid"],
    }));
  } catch (error) {
    return { ok: false, reason: failureOf(error) };
  }
  const { sub, sid, exp } = payload;
  if (typeof sub !== "string" || !sub || typeof sid !== "string" || !sid || typeof exp !== "number") {
    return { ok: false, reason: "missing_claims" };
  }
  // Stored with the app session: identifiers as Shopify sends them, which
  // PostgreSQL can store (no NUL, no unpaired surrogate: a 500 otherwise).
  if (!IDENTIFIER.test(sub) || !IDENTIFIER.test(sid)) return { ok: false, reason: "malformed" };
  // `dest` is the shop; `iss` is its admin (https://{shop}/admin). Both must
  // name the same shop, and it must be the one the request is about.
  const destHost = hostOf(payload.dest);
  const shop = destHost ? options.sanitizeShop(destHost) : null;
  if (!shop || hostOf(payload.iss) !== destHost) return { ok: false, reason: "wrong_destination" };
  if (options.shop != null && options.sanitizeShop(options.shop) !== shop) return { ok: false, reason: "wrong_destination" };
  return { ok: true, claims: { shop, userId: sub, sid, expiresAt: new Date(exp * 1000) } };
}

/** Verify with the app's own credentials (real or sandbox) and the library's shop validation. */
export function verifyShopifySessionToken(token: string, shop?: string | null): Promise<SessionTokenResult> {
  const credentials = shopifyCredentials();
  if (!credentials) throw new ShopifyNotConfiguredError();
  return verifySessionToken(token, {
    apiKey: credentials.apiKey,
    apiSecret: credentials.apiSecret,
    shop,
    sanitizeShop: (value) => shopify().utils.sanitizeShop(value),
  });
}
