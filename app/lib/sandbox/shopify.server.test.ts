/**
 * The Shopify sandbox speaks Shopify's wire formats: what it signs, the real
 * library accepts; what it issues, the real library can use. The app reaches
 * it only through the library's own fetch hook.
 */
import { RequestedTokenType } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import { shopify } from "~/lib/platforms/shopify/config.server";
import {
  approveAuthorization,
  handleSandboxPlatformRequest,
  parseAuthorizeRequest,
  sandboxAdminEntryUrl,
  sandboxBrowserUrl,
  sandboxPlatformCalls,
  signSandboxSessionToken,
  signSandboxWebhook,
} from "./shopify.server";

const SHOP = "sandbox-wire.myshopify.com";

describe("the Shopify sandbox", () => {
  it("signs admin URLs so that the library's HMAC check accepts them, and refuses one flipped bit", async () => {
    const params = Object.fromEntries(new URL(await sandboxAdminEntryUrl(SHOP)).searchParams);
    expect(params).toMatchObject({ embedded: "1", shop: SHOP, id_token: expect.any(String), hmac: expect.any(String) });
    expect(await shopify().utils.validateHmac(params)).toBe(true);
    const last = params.hmac.at(-1) === "0" ? "1" : "0";
    expect(await shopify().utils.validateHmac({ ...params, hmac: params.hmac.slice(0, -1) + last })).toBe(false);
  });

  it("signs webhooks so that the library's webhook validation accepts them", async () => {
    const delivery = signSandboxWebhook({ shop: SHOP, topic: "app/uninstalled", body: '{"id":1}' });
    const request = new Request("https://app.test.example/webhooks/shopify", {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    const result = await shopify().webhooks.validate({ rawBody: delivery.body, rawRequest: request });
    expect(result).toMatchObject({ valid: true, topic: "APP_UNINSTALLED", domain: SHOP });
  });

  it("answers the library's token exchange through its fetch hook with an expiring offline token, and counts the call", async () => {
    const before = sandboxPlatformCalls().byKind["oauth.token_exchange"] ?? 0;
    const { session } = await shopify().auth.tokenExchange({
      shop: SHOP,
      sessionToken: await signSandboxSessionToken({ shop: SHOP }),
      requestedTokenType: RequestedTokenType.OfflineAccessToken,
      expiring: true,
    });
    expect(session).toMatchObject({ id: `offline_${SHOP}`, shop: SHOP, isOnline: false, scope: "read_products" });
    expect(session.accessToken).toMatch(/^shpat_/);
    expect(session.refreshToken).toMatch(/^shprt_/);
    expect(session.expires).toBeInstanceOf(Date);
    expect(sandboxPlatformCalls().byKind["oauth.token_exchange"]).toBe(before + 1);
  });

  it("accepts an authorize request only for the app's registered callback, and its code works once", async () => {
    const authorize = new URLSearchParams({
      shop: SHOP,
      client_id: shopify().config.apiKey,
      scope: "read_products",
      redirect_uri: "https://app.test.example/install/shopify/callback",
      state: "nonce-1",
    });
    expect(parseAuthorizeRequest(new URLSearchParams({ ...Object.fromEntries(authorize), redirect_uri: "https://evil.example/cb" })).ok).toBe(false);
    const parsed = parseAuthorizeRequest(authorize);
    if (!parsed.ok) throw new Error(parsed.message);
    const callback = new URL(approveAuthorization(parsed.request));
    const query = Object.fromEntries(callback.searchParams);
    expect(await shopify().utils.validateHmac(query)).toBe(true);

    const exchange = () =>
      fetchAccessToken({ client_id: shopify().config.apiKey, client_secret: shopify().config.apiSecretKey, code: query.code });
    expect((await exchange()).status).toBe(200);
    expect((await exchange()).status).toBe(400);
  });

  it("sends the browser to its own pages instead of Shopify's", () => {
    expect(sandboxBrowserUrl(`https://${SHOP}/admin/oauth/authorize?client_id=k&state=s`)).toBe(
      `/sandbox/shopify/authorize?client_id=k&state=s&shop=${SHOP}`,
    );
    expect(sandboxBrowserUrl("https://admin.shopify.com/store/sandbox-wire/apps/key")).toBe("/sandbox/shopify/admin/sandbox-wire");
    expect(sandboxBrowserUrl("https://example.com/x")).toBe("https://example.com/x");
  });
});

function fetchAccessToken(body: Record<string, string>) {
  return handleSandboxPlatformRequest(
    new Request(`https://${SHOP}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}
