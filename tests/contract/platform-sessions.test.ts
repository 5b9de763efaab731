/**
 * Platform sessions in `platform_sessions` through Shopify's SessionStorage
 * interface, on every available backend (PGlite, PostgreSQL, Supabase through
 * the PostgREST stand-in): encryption at rest, key rotation, what storing
 * means for the shop's installation, the refresh path's race guard and the
 * refresh lease. The behaviours of Shopify's published adapter battery are
 * in session-storage-battery.test.ts.
 */
import { randomBytes } from "node:crypto";
import { Session } from "@shopify/shopify-api";
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import { PlatformSessionStorage } from "~/lib/platforms/platform-sessions.server";
import { keyIdOf } from "~/lib/platforms/token-encryption.server";
import { postgresAvailable, supabaseBackend } from "../support/databases";
import { availableBackends, useTestDatabase } from "../support/use-database";

let counter = 0;
function offlineSession(shop: string, overrides: Partial<Session> = {}) {
  return new Session({
    id: `offline_${shop}`,
    shop,
    state: "",
    isOnline: false,
    scope: "read_products",
    expires: new Date(now().getTime() + 3600_000),
    accessToken: `shpat_${randomBytes(16).toString("hex")}`,
    refreshToken: `shprt_${randomBytes(16).toString("hex")}`,
    refreshTokenExpires: new Date(now().getTime() + 90 * 86400_000),
    ...overrides,
  });
}

for (const backend of [...availableBackends, ...(postgresAvailable() ? [supabaseBackend] : [])]) {
  describe(`platform sessions on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let shop: string;
    const OLD = randomBytes(32);
    const NEW = randomBytes(32);
    let keys: Buffer[] = [OLD];
    const storage = new PlatformSessionStorage({ keys: () => keys });

    beforeEach(async () => {
      freezeClock(new Date("2026-11-23T09:00:00Z"));
      keys = [OLD];
      counter += 1;
      shop = `storage-${counter}-${process.pid}.myshopify.com`;
      await database().store.upsertClient({ platform: "shopify", externalId: shop }, now());
    });

    async function rawRow(id: string) {
      const [row] = await database().sql.query<Record<string, unknown>>("select * from platform_sessions where id = $1", [id]);
      return row;
    }

    it("stores and loads a session unchanged", async () => {
      const session = offlineSession(shop);
      expect(await storage.storeSession(session)).toBe(true);
      const loaded = await storage.loadSession(session.id);
      expect(loaded).toBeInstanceOf(Session);
      expect(loaded?.equals(session)).toBe(true);
      expect(loaded?.accessToken).toBe(session.accessToken);
      expect(loaded?.refreshToken).toBe(session.refreshToken);
    });

    it("keeps an online session's user", async () => {
      const session = new Session({
        id: `${shop}_42`,
        shop,
        state: "",
        isOnline: true,
        accessToken: "online-token",
        onlineAccessInfo: {
          expires_in: 86400,
          associated_user_scope: "read_products",
          associated_user: { id: 42, first_name: "Ada", last_name: "L", email: "ada@example.com", email_verified: true, account_owner: true, locale: "en", collaborator: false },
        },
      });
      await storage.storeSession(session);
      const loaded = await storage.loadSession(session.id);
      expect(loaded?.onlineAccessInfo?.associated_user.email).toBe("ada@example.com");
      expect((await rawRow(session.id)).user_id).toBe("42");
    });

    it("the database row holds no token, only ciphertexts naming their key", async () => {
      const session = offlineSession(shop);
      await storage.storeSession(session);
      const row = await rawRow(session.id);
      const serialized = JSON.stringify(row);
      expect(serialized).not.toContain(session.accessToken);
      expect(serialized).not.toContain(session.refreshToken);
      expect(String(row.access_token_enc).startsWith(`${keyIdOf(OLD)}:`)).toBe(true);
      expect(String(row.refresh_token_enc).startsWith(`${keyIdOf(OLD)}:`)).toBe(true);
    });

    it("after a key rotation, sessions stored under the old key load, and storing again uses the new key", async () => {
      const session = offlineSession(shop);
      await storage.storeSession(session);
      keys = [NEW, OLD];
      expect((await storage.loadSession(session.id))?.accessToken).toBe(session.accessToken);
      await storage.storeSession(session);
      expect(String((await rawRow(session.id)).access_token_enc).startsWith(`${keyIdOf(NEW)}:`)).toBe(true);
    });

    it("a session no configured key decrypts is treated as absent", async () => {
      const session = offlineSession(shop);
      await storage.storeSession(session);
      keys = [NEW];
      expect(await storage.loadSession(session.id)).toBeUndefined();
    });

    it("finds a shop's sessions and deletes one or many", async () => {
      const offline = offlineSession(shop);
      const online = offlineSession(shop, { id: `${shop}_7`, isOnline: true } as Partial<Session>);
      await storage.storeSession(offline);
      await storage.storeSession(online);
      expect((await storage.findSessionsByShop(shop)).map((s) => s.id).sort()).toEqual([offline.id, online.id].sort());
      expect(await storage.deleteSession(online.id)).toBe(true);
      expect(await storage.loadSession(online.id)).toBeUndefined();
      await storage.deleteSessions([offline.id, "offline_nobody.myshopify.com"]);
      expect(await storage.findSessionsByShop(shop)).toEqual([]);
    });

    it("storing a session records its shop as installed: a new shop gets a client row, an uninstalled one is installed again", async () => {
      const newShop = `first-store-${counter}-${process.pid}.myshopify.com`;
      expect(await storage.storeSession(offlineSession(newShop))).toBe(true);
      expect((await database().store.findClient("shopify", newShop))?.installState).toBe("installed");
      expect(await storage.loadSession(`offline_${newShop}`)).toBeDefined();

      await database().store.updateClient((await database().store.findClient("shopify", shop))!.id, "Cellar Door", now());
      await database().store.uninstallClient("shopify", shop, now());
      const session = offlineSession(shop);
      expect(await storage.storeSession(session)).toBe(true);
      const client = await database().store.findClient("shopify", shop);
      expect(client?.installState).toBe("installed");
      expect(client?.organizationName).toBe("Cellar Door"); // a reinstall keeps the merchant's name
      expect((await storage.loadSession(session.id))?.accessToken).toBe(session.accessToken);
    });

    it("the refresh path stores nothing for a shop that is not installed (an uninstall that won the race stays won)", async () => {
      expect(await storage.storeSessionIfInstalled(offlineSession(`never-installed-${counter}.myshopify.com`))).toBe(false);
      expect(await database().store.findClient("shopify", `never-installed-${counter}.myshopify.com`)).toBeNull();
      const installed = offlineSession(shop);
      expect(await storage.storeSessionIfInstalled(installed)).toBe(true);
      expect((await storage.loadSession(installed.id))?.accessToken).toBe(installed.accessToken);

      await database().store.uninstallClient("shopify", shop, now());
      const late = offlineSession(shop);
      expect(await storage.storeSessionIfInstalled(late)).toBe(false);
      expect(await storage.loadSession(late.id)).toBeUndefined();
      expect((await database().store.findClient("shopify", shop))?.installState).toBe("uninstalled");
    });

    it("grants the refresh lease to one caller, and again only after it lapses or the session is stored", async () => {
      const session = offlineSession(shop);
      await storage.storeSession(session);
      const claim = () =>
        database().store.claimPlatformSessionRefresh({ id: session.id, expectedExpiresAt: session.expires ?? null, leaseSeconds: 30 }, now());
      const results = await Promise.all([claim(), claim(), claim()]);
      expect(results.filter(Boolean)).toHaveLength(1);
      advanceClock(31_000);
      expect(await claim()).toBe(true);
      // Another process refreshed meanwhile: the session has a new expiry, so the old view cannot claim it.
      const refreshed = offlineSession(shop, { expires: new Date(now().getTime() + 7200_000) } as Partial<Session>);
      await storage.storeSession(refreshed);
      advanceClock(31_000);
      expect(await claim()).toBe(false);
    });
  });
}
