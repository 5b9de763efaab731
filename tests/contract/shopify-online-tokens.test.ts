/**
 * Shopify staff shown by name (SHOPIFY_ONLINE_TOKENS, default on), on every
 * available backend: the entry that creates a staff member's app session
 * exchanges its session token for an online access token (Shopify's wire
 * format, `associated_user`), stores it encrypted as that user's platform
 * session, and puts their name and email on the app session. Nothing after
 * the entry calls Shopify; a second login of the same staff member reuses the
 * stored token; a failure costs the name, never the entry.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freezeClock } from "~/lib/clock.server";
import { resetEnv } from "~/lib/env.server";
import { shopifySessionStorage } from "~/lib/platforms/platform-sessions.server";
import "~/lib/platforms/index.server";
import { releaseRequestContext } from "~/lib/sessions/request-context.server";
import { configureSandboxShop, sandboxPlatformCalls } from "~/lib/sandbox/shopify.server";
import { requireAppSession } from "~/lib/sessions/core.server";
import { cookiePair } from "../support/sessions";
import { bearerRequest, entryRequest, inProcessRequest, uniqueShop } from "../support/shopify";
import { availableBackends, useTestDatabase } from "../support/use-database";

const onlineExchanges = () => sandboxPlatformCalls().byKind["oauth.token_exchange_online"] ?? 0;

for (const backend of availableBackends) {
  describe(`Shopify staff by name on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let shop: string;

    beforeEach(() => {
      freezeClock(new Date()); // the library checks token exchanges against the wall clock
      shop = uniqueShop("online");
    });
    afterEach(() => {
      delete process.env.SHOPIFY_ONLINE_TOKENS;
      resetEnv();
    });

    async function enter(options: { userId?: string; sid?: string } = {}) {
      const request = await entryRequest(shop, options);
      const session = await requireAppSession(request);
      const [setCookie] = releaseRequestContext(request);
      return { session, cookie: setCookie ? cookiePair(setCookie) : null };
    }

    it("the entry of a new session obtains the staff member's online token once, and the session carries their name and email", async () => {
      const before = onlineExchanges();
      const { session } = await enter({ userId: "1001" });
      expect(onlineExchanges() - before).toBe(1);
      expect(session).toMatchObject({ userId: "1001", userName: "Sam Sommelier", userEmail: `sam.sommelier@${shop.replace(".myshopify.com", "")}.example` });

      // Stored as that user's platform session, encrypted: the row holds no token.
      const online = await shopifySessionStorage.loadSession(`${shop}_1001`);
      expect(online).toMatchObject({ isOnline: true, shop });
      expect(online?.onlineAccessInfo?.associated_user).toMatchObject({ id: 1001, first_name: "Sam", email: session.userEmail });
      const [row] = await database().sql.query<Record<string, unknown>>("select * from platform_sessions where id = $1", [`${shop}_1001`]);
      expect(row).toMatchObject({ is_online: true, user_id: "1001" });
      expect(JSON.stringify(row)).not.toContain(online?.accessToken as string);
    });

    it("after the entry no request calls Shopify, and another login of the same staff member reuses the stored token", async () => {
      const { session, cookie } = await enter({ userId: "1001", sid: "login-a" });
      const before = sandboxPlatformCalls().total;
      for (let i = 0; i < 3; i++) {
        expect(await requireAppSession(inProcessRequest("/app/sessions", { cookie: cookie as string }))).toMatchObject({ id: session.id, userName: "Sam Sommelier" });
        expect(await requireAppSession(await bearerRequest(shop, { userId: "1001", sid: "login-a" }))).toMatchObject({ id: session.id, userName: "Sam Sommelier" });
      }
      expect(sandboxPlatformCalls().total).toBe(before);

      const second = await enter({ userId: "1001", sid: "login-b" });
      expect(second.session.id).not.toBe(session.id);
      expect(second.session.userName).toBe("Sam Sommelier");
      expect(sandboxPlatformCalls().total).toBe(before);
    });

    it("each staff member is named as themselves, including parallel first entries that share one exchange", async () => {
      await enter({ userId: "1001" });
      const before = onlineExchanges();
      const entries = await Promise.all(Array.from({ length: 4 }, (_, i) => enter({ userId: "2002", sid: `tab-${i}` })));
      expect(onlineExchanges() - before).toBe(1);
      const names = new Set(entries.map((e) => e.session.userName));
      expect(names.size).toBe(1);
      expect([...names][0]).toMatch(/^\S+ \S+$/);
      expect([...names][0]).not.toBe("Sam Sommelier");
    });

    it("when Shopify cannot give an online token the entry still succeeds, without a name, and a later entry fills it in", async () => {
      await enter({ userId: "1001" }); // installs the shop
      configureSandboxShop(shop, { onlineTokensUnavailable: true });
      const failed = await enter({ userId: "3003", sid: "outage" });
      expect(failed.session.userId).toBe("3003");
      expect(failed.session.userName).toBeNull();
      expect(failed.cookie).toBeTruthy();

      configureSandboxShop(shop, { onlineTokensUnavailable: false });
      const later = await enter({ userId: "3003", sid: "outage" });
      expect(later.session.id).toBe(failed.session.id);
      expect(later.session.userName).toMatch(/^\S+ \S+$/);
    });

    it("with SHOPIFY_ONLINE_TOKENS=0 no online token is requested and the session names the user by id only", async () => {
      process.env.SHOPIFY_ONLINE_TOKENS = "0";
      resetEnv();
      const before = onlineExchanges();
      const { session } = await enter({ userId: "1001" });
      expect(onlineExchanges()).toBe(before);
      expect(session.userName).toBeNull();
      expect(await shopifySessionStorage.loadSession(`${shop}_1001`)).toBeUndefined();
    });
  });
}
