/**
 * Session-token verification edge cases: what a forged, stale or misdirected
 * Shopify session token gets. Tokens are signed by the sandbox exactly as
 * Shopify signs them; the forged ones are built with jose by hand.
 */
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import { SANDBOX_API_KEY, sandboxShopifyCredentials, signSandboxSessionToken } from "~/lib/sandbox/shopify.server";
import { isShopifySessionTokenShape, verifyShopifySessionToken } from "./session-token.server";

const SHOP = "token-tests.myshopify.com";

function claims(overrides: Record<string, unknown> = {}) {
  const t = Math.floor(now().getTime() / 1000);
  return {
    iss: `https://${SHOP}/admin`,
    dest: `https://${SHOP}`,
    aud: SANDBOX_API_KEY,
    sub: "42",
    exp: t + 60,
    nbf: t,
    iat: t,
    jti: "jti-1",
    sid: "sid-1",
    ...overrides,
  };
}

function sign(payload: Record<string, unknown>, options: { secret?: string; alg?: string } = {}) {
  const secret = options.secret ?? sandboxShopifyCredentials().apiSecret;
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" });
  return jwt.sign(new TextEncoder().encode(secret));
}

function without(key: string) {
  const c: Record<string, unknown> = claims();
  delete c[key];
  return c;
}

describe("Shopify session tokens, verified locally", () => {
  it("a token signed by the admin is accepted with its shop, user and sid", async () => {
    const token = await signSandboxSessionToken({ shop: SHOP, userId: "42", sid: "admin-sid" });
    const result = await verifyShopifySessionToken(token, SHOP);
    expect(result).toEqual({
      ok: true,
      claims: { shop: SHOP, userId: "42", sid: "admin-sid", expiresAt: expect.any(Date) },
    });
  });

  it("without a shop in the request, the shop comes from dest", async () => {
    const result = await verifyShopifySessionToken(await sign(claims()));
    expect(result).toMatchObject({ ok: true, claims: { shop: SHOP } });
  });

  it("tolerates 10 s of clock skew on exp, and no more", async () => {
    freezeClock(new Date("2026-11-23T10:00:00Z"));
    const token = await sign(claims());
    advanceClock(60_000 + 9_000);
    expect((await verifyShopifySessionToken(token, SHOP)).ok).toBe(true);
    advanceClock(2_000);
    expect(await verifyShopifySessionToken(token, SHOP)).toEqual({ ok: false, reason: "expired" });
  });

  it("tolerates 10 s of clock skew on nbf, and no more", async () => {
    freezeClock(new Date("2026-11-23T10:00:00Z"));
    const t = Math.floor(now().getTime() / 1000);
    expect((await verifyShopifySessionToken(await sign(claims({ nbf: t + 9 })), SHOP)).ok).toBe(true);
    expect(await verifyShopifySessionToken(await sign(claims({ nbf: t + 11 })), SHOP)).toEqual({
      ok: false,
      reason: "not_yet_valid",
    });
  });

  it('refuses alg "none"', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode();
    expect(await verifyShopifySessionToken(unsigned, SHOP)).toEqual({ ok: false, reason: "algorithm_not_allowed" });
  });

  it("refuses a token signed with another secret", async () => {
    const forged = await sign(claims(), { secret: "not-the-app-secret-0123456789abcdef" });
    expect(await verifyShopifySessionToken(forged, SHOP)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses another HMAC algorithm even with the right secret", async () => {
    const hs512 = await sign(claims(), { alg: "HS512" });
    expect(await verifyShopifySessionToken(hs512, SHOP)).toEqual({ ok: false, reason: "algorithm_not_allowed" });
  });

  it("refuses a token issued to another app (aud)", async () => {
    const other = await sign(claims({ aud: "someone-elses-api-key" }));
    expect(await verifyShopifySessionToken(other, SHOP)).toEqual({ ok: false, reason: "wrong_audience" });
  });

  it("refuses a token whose dest is not the shop the request names", async () => {
    const token = await signSandboxSessionToken({ shop: "other-shop.myshopify.com" });
    expect(await verifyShopifySessionToken(token, SHOP)).toEqual({ ok: false, reason: "wrong_destination" });
  });

  it("refuses a token whose iss and dest name different shops", async () => {
    const token = await sign(claims({ iss: "https://other-shop.myshopify.com/admin" }));
    expect(await verifyShopifySessionToken(token, SHOP)).toEqual({ ok: false, reason: "wrong_destination" });
  });

  it("refuses a dest that is not a Shopify shop", async () => {
    const token = await sign(claims({ dest: "https://evil.example.com", iss: "https://evil.example.com/admin" }));
    expect(await verifyShopifySessionToken(token)).toEqual({ ok: false, reason: "wrong_destination" });
  });

  it.each(["exp", "nbf", "dest", "sub", "sid"])("refuses a token without %s", async (claim) => {
    expect(await verifyShopifySessionToken(await sign(without(claim)), SHOP)).toEqual({
      ok: false,
      reason: "missing_claims",
    });
  });

  it.each([
    ["sub", "4\u00002"],
    ["sid", "sid\u0000"],
    ["sub", "\ud800"],
    ["sid", "x".repeat(256)],
  ])("refuses a %s Shopify never sends (%j), even signed: it would be stored", async (claim, value) => {
    expect(await verifyShopifySessionToken(await sign(claims({ [claim]: value })), SHOP)).toEqual({ ok: false, reason: "malformed" });
  });

  it("refuses garbage, and says why with a code rather than quoting the token", async () => {
    for (const garbage of ["", "not-a-jwt", "a.b.c", "x".repeat(5000)]) {
      const result = await verifyShopifySessionToken(garbage, SHOP);
      expect(result).toEqual({ ok: false, reason: "malformed" });
      expect(JSON.stringify(result)).not.toContain(garbage || "\u0000");
    }
  });

  it("recognises the shape of a Shopify token without trusting it", async () => {
    expect(isShopifySessionTokenShape(await sign(claims()))).toBe(true);
    expect(isShopifySessionTokenShape(await sign(without("dest")))).toBe(false);
    expect(isShopifySessionTokenShape("A".repeat(43))).toBe(false);
  });
});
