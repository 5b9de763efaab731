/**
 * The behaviours Shopify's published session-storage battery
 * (shopify-app-session-storage-test-utils, `batteryOfTests`) asks of every
 * SessionStorage adapter, written here in our own words and run on every
 * backend. That battery is how @shopify/shopify-app-remix's callers expect a
 * storage to behave: a store is always accepted (shops it has never seen
 * included, which is what token exchange stores first), a loaded session
 * equals the stored one and is active, deletes are idempotent, and a shop's
 * sessions are found and deleted as a set.
 */
import { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import { describe, expect, it } from "vitest";
import { PlatformSessionStorage } from "~/lib/platforms/platform-sessions.server";
import { postgresAvailable, supabaseBackend } from "../support/databases";
import { availableBackends, useTestDatabase } from "../support/use-database";

const SCOPES = ["write_products"];

/** An hour from now, to the second (what a database timestamp keeps of a Shopify expiry). */
function inAnHour(): Date {
  const date = new Date(Date.now() + 3600_000);
  date.setMilliseconds(0);
  return date;
}

for (const backend of [...availableBackends, ...(postgresAvailable() ? [supabaseBackend] : [])]) {
  describe(`SessionStorage battery on ${backend.name}`, () => {
    useTestDatabase(backend);
    const storage: SessionStorage = new PlatformSessionStorage();
    const id = "battery_session";
    // Not a real shop domain, and never installed: the battery stores for such shops too.
    const shop = "battery-shop";

    const offlineKinds: Array<[string, () => Session]> = [
      ["without expiry", () => new Session({ id, shop, state: "state", isOnline: false, scope: SCOPES.join(","), accessToken: "tok-1" })],
      ["expiring", () => new Session({ id, shop, state: "state", isOnline: false, scope: SCOPES.join(","), accessToken: "tok-2", expires: inAnHour() })],
      [
        "with a null expiry",
        () => new Session({ id, shop, state: "state", isOnline: false, scope: SCOPES.join(","), accessToken: "tok-3", expires: null as unknown as undefined }),
      ],
      ["with an undefined expiry", () => new Session({ id, shop, state: "state", isOnline: false, scope: SCOPES.join(","), accessToken: "tok-4", expires: undefined })],
    ];

    for (const [kind, make] of offlineKinds) {
      it(`an offline session ${kind} is stored, loads equal and active, and is deleted (twice without complaint)`, async () => {
        const session = make();
        expect(await storage.storeSession(session)).toBe(true);
        const loaded = await storage.loadSession(id);
        expect(session.equals(loaded)).toBe(true);
        expect(loaded?.isActive(SCOPES)).toBe(true);
        expect(await storage.deleteSession(id)).toBe(true);
        expect(await storage.loadSession(id)).toBeUndefined();
        expect(await storage.deleteSession(id)).toBe(true);
      });
    }

    it("a session with a field Shopify's class does not know is stored and loads equal", async () => {
      const session = new Session({ id, shop, state: "state", isOnline: false });
      (session as unknown as Record<string, unknown>).extra = "ignored";
      expect(await storage.storeSession(session)).toBe(true);
      expect(session.equals(await storage.loadSession(id))).toBe(true);
    });

    it("an online session keeps its staff member (full user info, and an id alone)", async () => {
      const full = new Session({
        id,
        shop,
        state: "state",
        isOnline: true,
        scope: SCOPES.join(","),
        accessToken: "online-tok",
        onlineAccessInfo: {
          associated_user: {
            id: 902,
            first_name: "Sam",
            last_name: "Sommelier",
            email: "sam@example.com",
            account_owner: false,
            locale: "en",
            collaborator: false,
            email_verified: true,
          },
        } as Session["onlineAccessInfo"],
      });
      expect(await storage.storeSession(full)).toBe(true);
      const loaded = await storage.loadSession(id);
      expect(full.equals(loaded)).toBe(true);
      expect(loaded?.isActive(SCOPES)).toBe(true);
      expect(await storage.deleteSession(id)).toBe(true);
      expect(await storage.loadSession(id)).toBeUndefined();

      const idOnly = new Session({ id, shop, state: "state", isOnline: true, onlineAccessInfo: { associated_user: { id: 903 } } as Session["onlineAccessInfo"] });
      expect(await storage.storeSession(idOnly)).toBe(true);
      expect(idOnly.equals(await storage.loadSession(id))).toBe(true);
      await storage.deleteSession(id);
    });

    it("an unknown id loads nothing", async () => {
      expect(await storage.loadSession("no_such_session")).toBeUndefined();
    });

    it("finds exactly one shop's sessions among several shops'", async () => {
      const sessions = [
        new Session({ id: "find_1", shop: "find-a.myshopify.io", state: "state", isOnline: false }),
        new Session({ id: "find_2", shop: "find-b.myshopify.io", state: "state", isOnline: false }),
        new Session({ id: "find_3", shop: "find-a.myshopify.io", state: "state", isOnline: false }),
        new Session({ id: "find_4", shop: "find-c.myshopify.io", state: "state", isOnline: false }),
      ];
      for (const session of sessions) expect(await storage.storeSession(session)).toBe(true);
      const found = await storage.findSessionsByShop("find-a.myshopify.io");
      expect(found.map((s) => s.id).sort()).toEqual(["find_1", "find_3"]);
      for (const session of found) expect(session.equals(sessions.find((s) => s.id === session.id))).toBe(true);
    });

    it("deletes a set of sessions by id and leaves other shops' alone", async () => {
      const sessions = ["a", "b", "a", "c"].map(
        (letter, index) => new Session({ id: `delete_${index}`, shop: `delete-${letter}.myshopify.io`, state: "state", isOnline: false }),
      );
      for (const session of sessions) expect(await storage.storeSession(session)).toBe(true);
      const ids = (await storage.findSessionsByShop("delete-a.myshopify.io")).map((s) => s.id);
      expect(ids).toHaveLength(2);
      expect(await storage.deleteSessions(ids)).toBe(true);
      expect(await storage.findSessionsByShop("delete-a.myshopify.io")).toEqual([]);
      expect(await storage.findSessionsByShop("delete-b.myshopify.io")).toHaveLength(1);
    });

    it("keeps a scope longer than 255 characters", async () => {
      const scope = Array.from({ length: 30 }, (_, i) => `unauthenticated_read_resource_${i}`).join(",");
      expect(scope.length).toBeGreaterThan(255);
      const session = new Session({ id, shop, state: "state", isOnline: false, scope });
      expect(await storage.storeSession(session)).toBe(true);
      expect(session.equals(await storage.loadSession(id))).toBe(true);
    });
  });
}
