/**
 * Shopify's entry and App Bridge's bearer requests against requireAppSession,
 * on every available backend: one app session per admin login (sid), found
 * without a Shopify call; a new cookie token at every entry; revocation that
 * sticks for bearer requests; expiry that a valid session token replaces.
 * Shopify itself is the sandbox, reached through the library's fetch hook.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock } from "~/lib/clock.server";
import "~/lib/platforms/index.server";
import { releaseRequestContext } from "~/lib/sessions/request-context.server";
import { sandboxPlatformCalls } from "~/lib/sandbox/shopify.server";
import { requireAppSession, revokeAppSessions, type AppSession } from "~/lib/sessions/core.server";
import { availableBackends, useTestDatabase } from "../support/use-database";
import { cookiePair, refusal } from "../support/sessions";
import { bearerRequest, entryRequest, inProcessRequest, uniqueShop } from "../support/shopify";

const MINUTE = 60_000;

for (const backend of availableBackends) {
  describe(`Shopify app sessions on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let shop: string;

    beforeEach(() => {
      // Near the wall clock: the library checks token exchanges against it.
      freezeClock(new Date());
      shop = uniqueShop("inproc");
    });

    /** The admin opens the app: the session, and the cookie the response sets. */
    async function enter(options: { userId?: string; sid?: string; cookie?: string } = {}) {
      const request = await entryRequest(shop, options);
      const session = await requireAppSession(request);
      const [setCookie] = releaseRequestContext(request);
      return { session, cookie: setCookie ? cookiePair(setCookie) : null };
    }

    async function sessionRows(sid?: string) {
      return database().sql.query<{ id: string; platform_sid: string }>(
        `select s.id, s.platform_sid from app_sessions s join clients c on c.id = s.client_id
          where c.external_id = $1 and ($2::text is null or s.platform_sid = $2)`,
        [shop, sid ?? null],
      );
    }

    it("the first entry installs the shop by token exchange and starts a session with a cookie", async () => {
      const before = sandboxPlatformCalls().byKind;
      const { session, cookie } = await enter({ userId: "42", sid: "sid-a" });
      expect(session).toMatchObject({ platform: "shopify", clientExternalId: shop, userId: "42", via: "entry" });
      expect(cookie).toMatch(/^__Host-app_session=/);
      const after = sandboxPlatformCalls().byKind;
      expect((after["oauth.token_exchange"] ?? 0) - (before["oauth.token_exchange"] ?? 0)).toBe(1);
      expect(await sessionRows("sid-a")).toHaveLength(1);
      const [client] = await database().sql.query<{ organization_name: string }>("select organization_name from clients where external_id = $1", [shop]);
      expect(client.organization_name).toMatch(/^Inproc/);
    });

    it("the cookie from the entry opens later pages without any Shopify call", async () => {
      const { session, cookie } = await enter();
      const before = sandboxPlatformCalls().total;
      for (let i = 0; i < 3; i++) {
        const found = await requireAppSession(inProcessRequest("/app/settings", { cookie: cookie as string }));
        expect(found).toMatchObject({ id: session.id, via: "cookie" });
      }
      expect(sandboxPlatformCalls().total).toBe(before);
    });

    it("many parallel App Bridge requests of a new admin login end on ONE session, with no Shopify call", async () => {
      await enter({ sid: "first-login" });
      const before = sandboxPlatformCalls().total;
      const requests = await Promise.all(Array.from({ length: 12 }, () => bearerRequest(shop, { sid: "second-login" })));
      const sessions = await Promise.all(requests.map((r) => requireAppSession(r)));
      expect(new Set(sessions.map((s) => s.id)).size).toBe(1);
      expect(sessions[0].via).toBe("bearer");
      expect(await sessionRows("second-login")).toHaveLength(1);
      expect(sandboxPlatformCalls().total).toBe(before);
    });

    it("bearer requests find the session the entry created for the same sid", async () => {
      const { session } = await enter({ sid: "sid-b" });
      const found = await requireAppSession(await bearerRequest(shop, { sid: "sid-b" }));
      expect(found).toMatchObject({ id: session.id, via: "bearer" });
    });

    it("every entry gives the sid's session a new cookie token; the old cookie stops working", async () => {
      const first = await enter({ sid: "sid-c" });
      const second = await enter({ sid: "sid-c", cookie: first.cookie as string });
      expect(second.session.id).toBe(first.session.id);
      expect(second.cookie).not.toBe(first.cookie);
      await refusal(requireAppSession(inProcessRequest("/app", { accept: "json", cookie: first.cookie as string })));
      expect((await requireAppSession(inProcessRequest("/app", { cookie: second.cookie as string }))).id).toBe(first.session.id);
      expect(await sessionRows("sid-c")).toHaveLength(1);
    });

    it("a revoked session is not recreated by the next bearer request; an entry from the admin starts a new one", async () => {
      const { session } = await enter({ sid: "sid-d" });
      await revokeAppSessions({ clientId: session.clientId, sessionId: session.id });
      const response = await refusal(requireAppSession(await bearerRequest(shop, { sid: "sid-d" })));
      expect(response.status).toBe(401);
      expect(response.headers.get("X-Shopify-Retry-Invalid-Session-Request")).toBeNull();
      expect(await response.json()).toMatchObject({ error: "revoked" });

      const again = await enter({ sid: "sid-d" });
      expect(again.session.id).not.toBe(session.id);
      expect((await requireAppSession(await bearerRequest(shop, { sid: "sid-d" }))).id).toBe(again.session.id);
    });

    it("an idle session is replaced by a fresh one on the next valid session token", async () => {
      const { session } = await enter({ sid: "sid-e" });
      advanceClock(31 * MINUTE);
      const fresh: AppSession = await requireAppSession(await bearerRequest(shop, { sid: "sid-e" }));
      expect(fresh.id).not.toBe(session.id);
      expect(await sessionRows("sid-e")).toHaveLength(1);
    });

    it("parallel App Bridge requests after the session went idle end on ONE replacement session", async () => {
      const { session } = await enter({ sid: "sid-f" });
      advanceClock(31 * MINUTE);
      const requests = await Promise.all(Array.from({ length: 8 }, () => bearerRequest(shop, { sid: "sid-f" })));
      const sessions = await Promise.all(requests.map((r) => requireAppSession(r)));
      expect(new Set(sessions.map((s) => s.id)).size).toBe(1);
      expect(sessions[0].id).not.toBe(session.id);
      expect(await sessionRows("sid-f")).toHaveLength(1);
    });

    it("a bearer token for a shop that never installed the app is refused without a Shopify call", async () => {
      const before = sandboxPlatformCalls().total;
      const response = await refusal(requireAppSession(await bearerRequest(uniqueShop("never"))));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "unauthenticated" });
      expect(sandboxPlatformCalls().total).toBe(before);
    });

    it("a session token with a bad signature gets 401 asking App Bridge to retry", async () => {
      const request = await bearerRequest(shop, { token: "eyJhbGciOiJIUzI1NiJ9.eyJkZXN0IjoiaHR0cHM6Ly94Lm15c2hvcGlmeS5jb20ifQ.c2lnbmF0dXJl" });
      const response = await refusal(requireAppSession(request));
      expect(response.status).toBe(401);
      expect(response.headers.get("X-Shopify-Retry-Invalid-Session-Request")).toBe("1");
    });
  });
}
