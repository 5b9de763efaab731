/**
 * What a merchant's own session may reach, and the failure throttles'
 * read-only peek, as one battery every backend must pass (issue 13):
 * list_own_app_sessions, revoke_own_app_sessions, rotate_app_session's new
 * CSRF token and peek_rate_limits, through the Store and the session module.
 */
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import { createAppSession, getAppSession, listOwnSessions, revokeOwnSessions, rotateAppSession } from "~/lib/sessions/core.server";
import type { Backend, TestDatabase } from "../support/databases";
import { documentRequest, makeClient } from "../support/sessions";
import { useTestDatabase } from "../support/use-database";

export function describeOwnScopeContract(backend: Backend) {
  describe(`own-session scope contract on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let db: TestDatabase;
    let mine: Client;
    let theirs: Client;

    beforeAll(() => {
      db = database();
    });
    beforeEach(async () => {
      freezeClock(new Date("2026-11-23T09:00:10Z"));
      mine = await makeClient(db.store);
      theirs = await makeClient(db.store);
    });

    async function session(client: Client, userId: string | null) {
      const created = await createAppSession({
        request: documentRequest("/app", { headers: { "User-Agent": "Contract Browser/1.0" } }),
        clientId: client.id,
        user: userId ? { id: userId } : undefined,
      });
      return created.session;
    }
    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();

    it("a session lists its own user's sessions in its own client, and nothing else", async () => {
      const me = await session(mine, "ada");
      const myOther = await session(mine, "ada");
      await session(mine, "grace");
      await session(theirs, "ada");
      expect(ids(await listOwnSessions(me))).toEqual([me.id, myOther.id].sort());
    });

    it("a session without a user lists only itself and revokes nothing", async () => {
      const installer = await session(mine, null);
      const colleague = await session(mine, "grace");
      await session(mine, null);
      expect(ids(await listOwnSessions(installer))).toEqual([installer.id]);
      expect(await revokeOwnSessions(installer, { sessionId: colleague.id })).toBe(0);
      expect(await revokeOwnSessions(installer, { allOthers: true })).toBe(0);
      expect(ids(await db.store.listAppSessions(mine.id, null, now()))).toHaveLength(3);
    });

    it("revoking reaches only the own user's other sessions: never a colleague's, another client's, or itself", async () => {
      const me = await session(mine, "ada");
      const myOther = await session(mine, "ada");
      const colleague = await session(mine, "grace");
      const sameUserElsewhere = await session(theirs, "ada");
      expect(await revokeOwnSessions(me, { sessionId: colleague.id })).toBe(0);
      expect(await revokeOwnSessions(me, { sessionId: sameUserElsewhere.id })).toBe(0);
      expect(await revokeOwnSessions(me, { sessionId: me.id })).toBe(0);
      expect(await revokeOwnSessions(me, { allOthers: true })).toBe(1);
      expect(ids(await db.store.listAppSessions(mine.id, null, now()))).toEqual([me.id, colleague.id].sort());
      expect(ids(await db.store.listAppSessions(theirs.id, null, now()))).toEqual([sameUserElsewhere.id]);
      expect(ids(await db.store.listAppSessions(mine.id, "ada", now()))).not.toContain(myOther.id);
    });

    it("a session that has ended reaches nothing", async () => {
      const me = await session(mine, "ada");
      await session(mine, "ada");
      advanceClock(24 * 3600 * 1000);
      expect(await listOwnSessions(me)).toEqual([]);
      expect(await revokeOwnSessions(me, { allOthers: true })).toBe(0);
    });

    it("rotation gives the session a new CSRF token along with its new token", async () => {
      const me = await session(mine, "ada");
      const rotated = await rotateAppSession(me.id, { rememberMe: true });
      expect(rotated?.session.csrfToken).toMatch(/^[0-9a-f]{64}$/);
      expect(rotated?.session.csrfToken).not.toBe(me.csrfToken);
      const lookup = await getAppSession(documentRequest("/app", { headers: { Authorization: `Bearer ${rotated?.token}` } }));
      expect(lookup.session?.csrfToken).toBe(rotated?.session.csrfToken);
    });

    it("peeking at a limit counts nothing and says whether one more attempt may be tried", async () => {
      const rule = { bucket: "contract_failed:ip", key: `198.51.100.${Math.floor(Math.random() * 200)}`, limit: 2, windowSeconds: 60 };
      expect(await db.store.peekRateLimits([rule], now())).toEqual([
        { bucket: rule.bucket, hits: 0, limit: 2, allowed: true, retryAfterSeconds: 50 },
      ]);
      await db.store.hitRateLimits([rule], now());
      await db.store.peekRateLimits([rule], now());
      expect((await db.store.peekRateLimits([rule], now()))[0]).toMatchObject({ hits: 1, allowed: true });
      await db.store.hitRateLimits([rule], now());
      expect((await db.store.peekRateLimits([rule], now()))[0]).toMatchObject({ hits: 2, allowed: false, retryAfterSeconds: 50 });
    });
  });
}
