/**
 * The storage contract and the session rules, as one battery every backend
 * must pass with the same assertions (PGlite, PostgreSQL, Supabase adapter).
 * Time is moved with the app clock, never slept.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import {
  cleanupExpiredSessions,
  createAppSession,
  destroyAppSession,
  getAppSession,
  hashSessionToken,
  listAppSessions,
  requireAppSession,
  revokeAppSessions,
  rotateAppSession,
  updateAppSession,
} from "~/lib/sessions/core.server";
import type { Backend, TestDatabase } from "../support/databases";
import { useTestDatabase } from "../support/use-database";
import {
  cookiePair,
  dataRequest,
  documentRequest,
  expectJson401,
  expectRedirectReason,
  makeClient,
} from "../support/sessions";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function describeSessionContract(backend: Backend) {
  describe(`session contract on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let db: TestDatabase;
    let client: Client;

    beforeEach(async () => {
      db = database();
      freezeClock(new Date("2026-11-23T09:00:00Z"));
      client = await makeClient(db.store);
    });

    async function signIn(options: { rememberMe?: boolean; userId?: string } = {}) {
      const created = await createAppSession({
        request: documentRequest("/app", { headers: { "User-Agent": "Vitest Browser/1.0", "X-Client-IP": "203.0.113.7" } }),
        clientId: client.id,
        user: { id: options.userId ?? "user-1", name: "Ada Lovelace", email: "ada@example.com" },
        theme: "dark",
        rememberMe: options.rememberMe,
      });
      return { ...created, cookie: cookiePair(created.setCookie) };
    }

    async function rowCount(clientId = client.id) {
      const [row] = await db.sql.query<{ n: number | string }>(
        "select count(*) as n from app_sessions where client_id = $1",
        [clientId],
      );
      return Number(row.n);
    }

    describe("create, get, require", () => {
      it("a new session is found by its cookie with everything the app needs", async () => {
        const { cookie, session } = await signIn();
        const found = await requireAppSession(documentRequest("/app", { cookie }));
        expect(found).toMatchObject({
          id: session.id,
          clientId: client.id,
          platform: "commerce7",
          clientExternalId: client.externalId,
          organizationName: client.organizationName,
          userId: "user-1",
          userName: "Ada Lovelace",
          userEmail: "ada@example.com",
          theme: "dark",
          ipAddress: "203.0.113.7",
          userAgent: "Vitest Browser/1.0",
          rememberMe: false,
          via: "cookie",
        });
        expect(found.expiresAt.getTime() - now().getTime()).toBe(8 * HOUR);
      });

      it("the same session is accepted as Authorization: Bearer", async () => {
        const { token, session } = await signIn();
        const found = await requireAppSession(dataRequest("/app", { bearer: token }));
        expect(found.id).toBe(session.id);
        expect(found.via).toBe("bearer");
      });

      it("stores only the SHA-256 of the token", async () => {
        const { token, session } = await signIn();
        const rows = await db.sql.query<Record<string, unknown>>("select * from app_sessions where id = $1", [session.id]);
        const serialized = JSON.stringify(rows, (_k, v: unknown) =>
          v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
        );
        expect(serialized).not.toContain(token);
        const [hash] = await db.sql.query<{ h: string }>("select encode(token_hash, 'hex') as h from app_sessions where id = $1", [session.id]);
        expect(hash.h).toBe(hashSessionToken(token));
      });

      it("every sign-in is a new token, even from a browser that already had one", async () => {
        const first = await signIn();
        const second = await signIn();
        expect(second.token).not.toBe(first.token);
        expect(second.session.id).not.toBe(first.session.id);
        expect((await requireAppSession(documentRequest("/app", { cookie: first.cookie }))).id).toBe(first.session.id);
        expect((await requireAppSession(documentRequest("/app", { cookie: second.cookie }))).id).toBe(second.session.id);
      });

      it("getAppSession says why there is no session instead of throwing", async () => {
        const result = await getAppSession(documentRequest("/app"));
        expect(result).toMatchObject({ session: null, reason: "unauthenticated" });
      });

      it("updateAppSession changes what the session carries, not who it is", async () => {
        const { cookie, session } = await signIn();
        await updateAppSession(session.id, { theme: "light", data: { onboarding: "done" } });
        const found = await requireAppSession(documentRequest("/app", { cookie }));
        expect(found.theme).toBe("light");
        expect(found.data).toEqual({ onboarding: "done" });
        expect(found.clientId).toBe(client.id);
      });
    });

    describe("idle and absolute expiry", () => {
      it("a session unused for longer than the idle timeout is refused as idle", async () => {
        const { cookie } = await signIn();
        advanceClock(29 * MINUTE);
        await requireAppSession(documentRequest("/app", { cookie }));
        advanceClock(31 * MINUTE);
        const response = await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "idle");
        expect(response.headers.get("Set-Cookie")).toMatch(/Max-Age=0/);
        await expectJson401(requireAppSession(dataRequest("/app", { cookie })), "idle");
      });

      it("activity keeps a session alive only until its absolute limit", async () => {
        const { cookie } = await signIn();
        for (let elapsed = 0; elapsed < 8 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
          advanceClock(20 * MINUTE);
          await requireAppSession(documentRequest("/app", { cookie }));
        }
        advanceClock(20 * MINUTE); // exactly 8 h after sign-in
        await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "expired");
        await expectJson401(requireAppSession(dataRequest("/app", { cookie })), "expired");
      });

      it("remember-me lasts 30 days, survives a day of inactivity, and still ends", async () => {
        const { cookie, setCookie, session } = await signIn({ rememberMe: true });
        expect(setCookie).toMatch(/Max-Age=2592000/);
        expect(session.rememberMe).toBe(true);
        advanceClock(1 * DAY);
        await requireAppSession(documentRequest("/app", { cookie }));
        advanceClock(8 * DAY); // more than the 7-day idle limit of remembered sessions
        await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "idle");
      });

      it("a remembered session in daily use ends at 30 days", async () => {
        const { cookie } = await signIn({ rememberMe: true });
        for (let day = 1; day < 30; day++) {
          advanceClock(DAY);
          await requireAppSession(documentRequest("/app", { cookie }));
        }
        advanceClock(DAY);
        await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "expired");
      });

      it("without remember-me the cookie has no Max-Age and dies with the browser", async () => {
        const { setCookie } = await signIn();
        expect(setCookie).not.toMatch(/Max-Age/i);
        expect(setCookie).not.toMatch(/Expires/i);
      });
    });

    describe("throttled touch", () => {
      it("records activity at most once per touch interval", async () => {
        const { cookie, session } = await signIn();
        advanceClock(30_000);
        const early = await requireAppSession(documentRequest("/app", { cookie }));
        expect(early.lastActivityAt.getTime()).toBe(session.lastActivityAt.getTime());

        advanceClock(31_000); // 61 s after sign-in
        const touched = await requireAppSession(documentRequest("/app", { cookie }));
        expect(touched.lastActivityAt.getTime()).toBe(now().getTime());

        advanceClock(10_000);
        const again = await requireAppSession(documentRequest("/app", { cookie }));
        expect(again.lastActivityAt.getTime()).toBe(touched.lastActivityAt.getTime());
        const [row] = await db.sql.query<{ updated_at: Date | string }>(
          "select updated_at from app_sessions where id = $1",
          [session.id],
        );
        expect(new Date(row.updated_at).getTime()).toBe(touched.lastActivityAt.getTime());
      });

      it("50 concurrent checks of one session all succeed and leave one row", async () => {
        const { cookie, session } = await signIn();
        advanceClock(2 * MINUTE);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => requireAppSession(documentRequest("/app", { cookie }))),
        );
        expect(results.every((s) => s.id === session.id)).toBe(true);
        expect(await rowCount()).toBe(1);
        const [row] = await db.sql.query<{ last_activity_at: Date | string }>(
          "select last_activity_at from app_sessions where id = $1",
          [session.id],
        );
        expect(new Date(row.last_activity_at).getTime()).toBe(now().getTime());
      });
    });

    describe("destroy and revoke", () => {
      it("logout destroys the row; the token is then unknown", async () => {
        const { cookie, session } = await signIn();
        const { destroyed, headers } = await destroyAppSession(documentRequest("/logout", { cookie }));
        expect(destroyed?.id).toBe(session.id);
        expect(headers.get("Set-Cookie")).toMatch(/Max-Age=0/);
        expect(await rowCount()).toBe(0);
        await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "unauthenticated");
      });

      it("revoking one session ends it at its next request and tells its holder", async () => {
        const mine = await signIn();
        const theirs = await signIn();
        expect(await revokeAppSessions({ clientId: client.id, sessionId: theirs.session.id })).toBe(1);
        await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie: theirs.cookie })), "revoked");
        expect((await requireAppSession(documentRequest("/app", { cookie: mine.cookie }))).id).toBe(mine.session.id);
      });

      it("revoking all others keeps only the current one", async () => {
        const current = await signIn();
        const others = [await signIn(), await signIn(), await signIn()];
        expect(await revokeAppSessions({ clientId: client.id, exceptSessionId: current.session.id })).toBe(3);
        for (const other of others) {
          await expectJson401(requireAppSession(dataRequest("/app", { cookie: other.cookie })), "revoked");
        }
        expect((await listAppSessions(client.id)).map((s) => s.id)).toEqual([current.session.id]);
      });

      it("destroy-all for a user leaves the client's other users signed in", async () => {
        const ada = await signIn({ userId: "ada" });
        const adaPhone = await signIn({ userId: "ada" });
        const bob = await signIn({ userId: "bob" });
        expect(await revokeAppSessions({ clientId: client.id, userId: "ada" })).toBe(2);
        await expectJson401(requireAppSession(dataRequest("/app", { cookie: ada.cookie })), "revoked");
        await expectJson401(requireAppSession(dataRequest("/app", { cookie: adaPhone.cookie })), "revoked");
        expect((await requireAppSession(dataRequest("/app", { cookie: bob.cookie }))).userId).toBe("bob");
      });

      it("destroy-all for a client does not touch another client", async () => {
        const mine = await signIn();
        const otherClient = await makeClient(db.store);
        const elsewhere = await createAppSession({
          request: documentRequest("/app"),
          clientId: otherClient.id,
          user: { id: "x" },
        });
        expect(await revokeAppSessions({ clientId: client.id })).toBe(1);
        await expectJson401(requireAppSession(dataRequest("/app", { cookie: mine.cookie })), "revoked");
        expect((await requireAppSession(dataRequest("/app", { bearer: elsewhere.token }))).clientId).toBe(otherClient.id);
      });

      it("rotation gives a live session a new token and kills the old one", async () => {
        const { cookie, session } = await signIn();
        const rotated = await rotateAppSession(session.id, { rememberMe: true });
        expect(rotated?.session.id).toBe(session.id);
        expect(rotated?.setCookie).toMatch(/Max-Age=2592000/);
        await expectJson401(requireAppSession(dataRequest("/app", { cookie })), "unauthenticated");
        const found = await requireAppSession(dataRequest("/app", { cookie: cookiePair(rotated!.setCookie) }));
        expect(found.rememberMe).toBe(true);
      });

      it("uninstalling a client removes all of its sessions", async () => {
        const { cookie } = await signIn();
        const result = await db.store.uninstallClient("commerce7", client.externalId, now());
        expect(result).toMatchObject({ clientId: client.id, appSessions: 1 });
        expect(await rowCount()).toBe(0);
        await expectJson401(requireAppSession(dataRequest("/app", { cookie })), "unauthenticated");
        expect((await db.store.getClient(client.id))?.installState).toBe("uninstalled");
      });

      it("deleting a client deletes its sessions (foreign keys)", async () => {
        await signIn();
        expect(await db.store.deleteClient("commerce7", client.externalId)).toBe(1);
        expect(await rowCount()).toBe(0);
      });
    });

    describe("cleanup", () => {
      // Cleanup is database-wide: start each of these from an empty table so counts are exact.
      beforeEach(async () => {
        await db.sql.query("delete from app_sessions");
        await db.sql.query("delete from session_events");
      });

      it("removes expired and idle sessions in batches and reports the count", async () => {
        for (let i = 0; i < 7; i++) await signIn(); // will expire
        advanceClock(7 * HOUR);
        await signIn();
        await signIn();
        advanceClock(1 * HOUR + MINUTE); // first seven past 8 h; the last two are only 61 min old but idle
        const fresh = await signIn();
        const result = await cleanupExpiredSessions({ batchSize: 3 });
        expect(result.appSessions).toBe(9);
        expect(result.batches).toBeGreaterThanOrEqual(4);
        expect(await rowCount()).toBe(1);
        expect((await requireAppSession(dataRequest("/app", { cookie: fresh.cookie }))).id).toBe(fresh.session.id);
      });

      it("keeps revoked sessions until their deadline so their holder learns why, then removes them", async () => {
        const { cookie, session } = await signIn();
        await revokeAppSessions({ clientId: client.id, sessionId: session.id });
        expect((await cleanupExpiredSessions()).appSessions).toBe(0);
        await expectJson401(requireAppSession(dataRequest("/app", { cookie })), "revoked");
        advanceClock(31 * MINUTE);
        expect((await cleanupExpiredSessions()).appSessions).toBe(1);
      });

      it("removes audit rows older than the retention", async () => {
        await signIn(); // writes a "created" event
        advanceClock(91 * DAY);
        const result = await cleanupExpiredSessions({ eventRetentionDays: 90 });
        expect(result.sessionEvents).toBeGreaterThanOrEqual(1);
        const [row] = await db.sql.query<{ n: number | string }>(
          "select count(*) as n from session_events where client_id = $1 and occurred_at < $2",
          [client.id, new Date(now().getTime() - 90 * DAY)],
        );
        expect(Number(row.n)).toBe(0);
      });
    });

    describe("OAuth state nonces", () => {
      const stateHash = () => hashSessionToken(`state-${Math.random()}`);

      it("a nonce is accepted once, for its own shop, before it expires", async () => {
        const hash = stateHash();
        await db.store.createOAuthState({ stateHash: hash, platform: "shopify", shop: "a.myshopify.com", ttlSeconds: 600 }, now());
        expect(await db.store.consumeOAuthState({ stateHash: hash, platform: "shopify", shop: "b.myshopify.com" }, now())).toBe(false);
        expect(await db.store.consumeOAuthState({ stateHash: hash, platform: "shopify", shop: "a.myshopify.com" }, now())).toBe(true);
        expect(await db.store.consumeOAuthState({ stateHash: hash, platform: "shopify", shop: "a.myshopify.com" }, now())).toBe(false);
      });

      it("an expired nonce is refused and cleaned up", async () => {
        const hash = stateHash();
        await db.store.createOAuthState({ stateHash: hash, platform: "shopify", shop: "a.myshopify.com", ttlSeconds: 600 }, now());
        advanceClock(11 * MINUTE);
        expect(await db.store.consumeOAuthState({ stateHash: hash, platform: "shopify", shop: "a.myshopify.com" }, now())).toBe(false);
        expect((await cleanupExpiredSessions()).oauthStates).toBeGreaterThanOrEqual(1);
      });
    });

    describe("malformed credentials are simply no session", () => {
      const malformed: Array<[string, string]> = [
        ["an empty cookie", ""],
        ["a 10 KB cookie", "a".repeat(10 * 1024)],
        ["non-base64url characters", "!!!!not*base64url$$$"],
        ["SQL metacharacters", "'; drop table app_sessions; --"],
        ["a valid-looking unknown token", "A".repeat(43)],
      ];

      for (const [label, value] of malformed) {
        it(`${label} in the cookie`, async () => {
          await signIn(); // something to find if a lookup went wrong
          const cookie = `__Host-app_session=${value}`;
          await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "unauthenticated");
          await expectJson401(requireAppSession(dataRequest("/app", { cookie })), "unauthenticated");
          expect(await rowCount()).toBe(1);
        });

        it(`${label} as a Bearer token`, async () => {
          await expectJson401(requireAppSession(dataRequest("/app", { bearer: value })), "unauthenticated");
        });
      }

      it("a cookie signed with another secret is refused", async () => {
        const { token } = await signIn();
        const forged = `__Host-app_session=${Buffer.from(JSON.stringify(token)).toString("base64")}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
        await expectJson401(requireAppSession(dataRequest("/app", { cookie: forged })), "unauthenticated");
      });

      it("the raw token in the cookie (unsigned) is refused", async () => {
        const { token } = await signIn();
        await expectJson401(
          requireAppSession(dataRequest("/app", { cookie: `__Host-app_session=${token}` })),
          "unauthenticated",
        );
      });
    });
  });
}
