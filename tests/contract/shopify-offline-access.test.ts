/**
 * The shop's offline token, on every available backend: expiring tokens are
 * refreshed before they expire and only once (per process by single-flight,
 * across processes by the database lease), a refused refresh falls back to
 * token exchange, and an Admin API 401 replaces the revoked token. Shopify is
 * the sandbox, whose counter shows every call the app made.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock } from "~/lib/clock.server";
import { shopifySessionStorage } from "~/lib/platforms/platform-sessions.server";
import "~/lib/platforms/index.server";
import { configureSandboxShop, sandboxPlatformCalls, signSandboxSessionToken } from "~/lib/sandbox/shopify.server";
import { requireAppSession } from "~/lib/sessions/core.server";
import { shopifyAdmin } from "~/lib/platforms/shopify.server";
import {
  ensureOfflineSession,
  refreshUnderLease,
  ShopifyReauthorizationRequiredError,
  withShopifyAdmin,
} from "~/lib/platforms/shopify/offline-access.server";
import { availableBackends, useTestDatabase } from "../support/use-database";
import { refusal } from "../support/sessions";
import { bearerRequest, entryRequest, inProcessRequest, uniqueShop } from "../support/shopify";

const SHOP_QUERY = "query ShopName { shop { name } }";

function callsOf(kind: string): number {
  return sandboxPlatformCalls().byKind[kind] ?? 0;
}

for (const backend of availableBackends) {
  describe(`Shopify offline tokens on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let shop: string;

    beforeEach(() => {
      freezeClock(new Date());
      shop = uniqueShop("tokens");
    });

    /** Install through the admin with an offline token that lives `ttl` seconds; later tokens live an hour. */
    async function installWithTokenLife(ttl: number) {
      configureSandboxShop(shop, { accessTokenTtlSeconds: ttl });
      await requireAppSession(await entryRequest(shop));
      configureSandboxShop(shop, { accessTokenTtlSeconds: 3600 });
      return (await shopifySessionStorage.loadSession(`offline_${shop}`))!;
    }

    it("a token about to expire is refreshed once, however many requests need it at the same moment", async () => {
      const before = await installWithTokenLife(120); // within the 5-minute refresh window
      const refreshes = callsOf("oauth.refresh_token");
      const sessions = await Promise.all(Array.from({ length: 8 }, () => ensureOfflineSession(shop, null)));
      expect(callsOf("oauth.refresh_token")).toBe(refreshes + 1);
      expect(new Set(sessions.map((s) => s.accessToken)).size).toBe(1);
      expect(sessions[0].accessToken).not.toBe(before.accessToken);
      expect(sessions[0].expires!.getTime()).toBeGreaterThan(before.expires!.getTime());

      // Stored (encrypted) for everyone: the next request needs no refresh.
      expect((await ensureOfflineSession(shop, null)).accessToken).toBe(sessions[0].accessToken);
      expect(callsOf("oauth.refresh_token")).toBe(refreshes + 1);
      const [row] = await database().sql.query<Record<string, unknown>>("select * from platform_sessions where id = $1", [`offline_${shop}`]);
      expect(JSON.stringify(row)).not.toContain(sessions[0].accessToken as string);
      expect(JSON.stringify(row)).not.toContain(sessions[0].refreshToken as string);
    });

    it("two app instances refreshing at once spend the refresh token once (the database lease)", async () => {
      const stored = await installWithTokenLife(120);
      const refreshes = callsOf("oauth.refresh_token");
      // Each call is what a separate process would do: no shared in-process single-flight.
      const [a, b] = await Promise.all([refreshUnderLease(stored), refreshUnderLease(stored)]);
      expect(callsOf("oauth.refresh_token")).toBe(refreshes + 1);
      expect(a?.accessToken).toBeTruthy();
      expect(b?.accessToken).toBeTruthy();
      const current = await shopifySessionStorage.loadSession(stored.id);
      expect([a?.accessToken, b?.accessToken]).toContain(current?.accessToken);
    });

    it("when the token has already expired, the instance without the lease waits for the refreshed one", async () => {
      const stored = await installWithTokenLife(60);
      advanceClock(2 * 60_000);
      const refreshes = callsOf("oauth.refresh_token");
      const [a, b] = await Promise.all([refreshUnderLease(stored), refreshUnderLease(stored)]);
      expect(callsOf("oauth.refresh_token")).toBe(refreshes + 1);
      expect(a?.accessToken).toBe(b?.accessToken);
      expect(a?.accessToken).not.toBe(stored.accessToken);
    });

    it("a refused refresh token drops the offline session; a session token then gets a new one by exchange", async () => {
      await installWithTokenLife(120);
      configureSandboxShop(shop, { revokeAccessTokens: true }); // also invalidates the refresh token
      await expect(ensureOfflineSession(shop, null)).rejects.toBeInstanceOf(ShopifyReauthorizationRequiredError);
      expect(await shopifySessionStorage.loadSession(`offline_${shop}`)).toBeUndefined();

      const exchanges = callsOf("oauth.token_exchange");
      const fresh = await ensureOfflineSession(shop, await signSandboxSessionToken({ shop }));
      expect(fresh.accessToken).toMatch(/^shpat_/);
      expect(callsOf("oauth.token_exchange")).toBe(exchanges + 1);
    });

    it("an Admin API 401 drops the revoked token, exchanges the session token for a new one, and the call succeeds", async () => {
      const old = await installWithTokenLife(3600);
      configureSandboxShop(shop, { revokeAccessTokens: true }); // e.g. an uninstall whose webhook was lost
      const graphql = callsOf("admin.graphql");
      const exchanges = callsOf("oauth.token_exchange");

      const data = await withShopifyAdmin(shop, await signSandboxSessionToken({ shop }), async (admin) => (await admin.request(SHOP_QUERY)).data);
      expect(data).toMatchObject({ shop: { name: expect.stringMatching(/^Tokens/) } });
      expect(callsOf("admin.graphql")).toBe(graphql + 2);
      expect(callsOf("oauth.token_exchange")).toBe(exchanges + 1);
      expect((await shopifySessionStorage.loadSession(old.id))?.accessToken).not.toBe(old.accessToken);
    });

    it("an Admin API 401 on a request without a session token asks App Bridge to retry with one", async () => {
      await installWithTokenLife(3600);
      const session = await requireAppSession(await entryRequest(shop));
      configureSandboxShop(shop, { revokeAccessTokens: true });
      const cookieOnly = inProcessRequest("/app?_data=routes%2Fapp._index", { accept: "json" });
      const response = await refusal(shopifyAdmin(cookieOnly, session, (admin) => admin.request(SHOP_QUERY)));
      expect(response.status).toBe(401);
      expect(response.headers.get("X-Shopify-Retry-Invalid-Session-Request")).toBe("1");
      expect(await shopifySessionStorage.loadSession(`offline_${shop}`)).toBeUndefined();

      // App Bridge's retry carries a session token: the token is replaced and the call works.
      const retry = await bearerRequest(shop);
      const result = await shopifyAdmin(retry, await requireAppSession(retry), async (admin) => (await admin.request(SHOP_QUERY)).data);
      expect(result).toMatchObject({ shop: { name: expect.any(String) } });
    });
  });
}
