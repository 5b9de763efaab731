/**
 * The one-time handoff of a session token to the page (cookie-less mode), as
 * one battery every backend must pass: issue_app_session_handoff and
 * redeem_app_session_handoff through the Store and the handoff module. A code
 * is spent exactly once, only in time, only for a live session; spending it
 * rotates the session's token in the same statement; the code itself opens
 * nothing. Time is moved with the app clock.
 */
import { createHash } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import { HANDOFF_TTL_SECONDS, issueSessionHandoff } from "~/lib/sessions/handoff.server";
import {
  createAppSession,
  generateSessionToken,
  getAppSession,
  hashSessionToken,
  revokeAppSessions,
} from "~/lib/sessions/core.server";
import type { Backend, TestDatabase } from "../support/databases";
import { dataRequest, documentRequest, makeClient } from "../support/sessions";
import { useTestDatabase } from "../support/use-database";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function describeHandoffContract(backend: Backend) {
  describe(`session handoff contract on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let db: TestDatabase;
    let client: Client;

    beforeAll(() => {
      db = database();
    });
    beforeEach(async () => {
      freezeClock(new Date("2026-11-23T09:00:00Z"));
      client = await makeClient(db.store);
    });

    /** A session as an entry starts it, with its handoff code. */
    async function entered() {
      const created = await createAppSession({
        request: documentRequest("/app", { headers: { "User-Agent": "Vitest Browser/1.0" } }),
        clientId: client.id,
        user: { id: "user-1", name: "Ada Lovelace" },
      });
      const code = await issueSessionHandoff(created.session);
      if (!code) throw new Error("no handoff code for a live session");
      return { ...created, code };
    }

    function redeem(code: string, options: { cookieToken?: string | null } = {}) {
      const token = generateSessionToken();
      const redemption = db.store.redeemAppSessionHandoff(
        {
          codeHash: sha256(code),
          newTokenHash: hashSessionToken(token),
          cookieTokenHash: options.cookieToken ? hashSessionToken(options.cookieToken) : null,
        },
        now(),
      );
      return redemption.then((r) => ({ ...r, token }));
    }

    async function statusOf(token: string) {
      const lookup = await getAppSession(dataRequest("/app", { bearer: token }));
      return lookup.session ? "valid" : lookup.reason;
    }

    it("a code is redeemed once: the session gets the new token and the entry's token stops working", async () => {
      const { session, token: entryToken, code } = await entered();
      const first = await redeem(code);
      expect(first.status).toBe("redeemed");
      expect(first.session?.id).toBe(session.id);
      expect(await statusOf(first.token)).toBe("valid");
      expect(await statusOf(entryToken)).toBe("unauthenticated");

      const replay = await redeem(code);
      expect(replay).toMatchObject({ status: "unknown", session: null });
      expect(await statusOf(replay.token)).toBe("unauthenticated");
      expect(await statusOf(first.token)).toBe("valid");
    });

    it("a late code is refused and changes nothing", async () => {
      const { token: entryToken, code } = await entered();
      advanceClock((HANDOFF_TTL_SECONDS + 1) * 1000);
      const late = await redeem(code);
      expect(late).toMatchObject({ status: "code_expired", session: null });
      expect(await statusOf(late.token)).toBe("unauthenticated");
      expect(await statusOf(entryToken)).toBe("valid");
    });

    it("the code of a session that ended meanwhile says why, and rotates nothing", async () => {
      const { session, code } = await entered();
      await revokeAppSessions({ clientId: client.id, sessionId: session.id });
      const refused = await redeem(code);
      expect(refused.status).toBe("revoked");
      expect(refused.session?.id).toBe(session.id);
      expect(await statusOf(refused.token)).toBe("unauthenticated");
    });

    it("says whether the browser kept the entry's cookie (its token was the session's until now)", async () => {
      const kept = await entered();
      expect((await redeem(kept.code, { cookieToken: kept.token })).cookieMatched).toBe(true);
      const refusedCookie = await entered();
      expect((await redeem(refusedCookie.code, { cookieToken: null })).cookieMatched).toBe(false);
      const otherCookie = await entered();
      expect((await redeem(otherCookie.code, { cookieToken: kept.token })).cookieMatched).toBe(false);
    });

    it("of many concurrent redemptions of one code, exactly one succeeds", async () => {
      const { code } = await entered();
      const results = await Promise.all(Array.from({ length: 6 }, () => redeem(code)));
      expect(results.filter((r) => r.status === "redeemed")).toHaveLength(1);
      expect(results.filter((r) => r.status === "unknown")).toHaveLength(5);
      const winner = results.find((r) => r.status === "redeemed");
      expect(await statusOf(winner?.token as string)).toBe("valid");
    });

    it("the code is not a credential: sent as a session token it opens nothing", async () => {
      const { code } = await entered();
      expect(await statusOf(code)).toBe("unauthenticated");
      expect((await getAppSession(dataRequest("/app", { bearer: sha256(code) }))).session).toBeNull();
    });

    it("only hashes are stored; a new code replaces an unspent one; an ended session gets none", async () => {
      const { session, code } = await entered();
      const [row] = await db.sql.query<{ handoff_code_hash: string; handoff_expires_at: Date }>(
        "select encode(handoff_code_hash, 'hex') as handoff_code_hash, handoff_expires_at from app_sessions where id = $1",
        [session.id],
      );
      expect(row.handoff_code_hash).toBe(sha256(code));
      expect(new Date(row.handoff_expires_at).getTime()).toBe(now().getTime() + HANDOFF_TTL_SECONDS * 1000);

      const second = await issueSessionHandoff(session);
      expect(second).not.toBe(code);
      expect((await redeem(code)).status).toBe("unknown");
      expect((await redeem(second as string)).status).toBe("redeemed");

      await revokeAppSessions({ clientId: client.id, sessionId: session.id });
      expect(await issueSessionHandoff(session)).toBeNull();
    });

    it("redeeming records a renewal in the audit trail, with no code or token in it", async () => {
      const { session, code } = await entered();
      const { token } = await redeem(code);
      const rows = await db.sql.query<{ event: string; detail: Record<string, unknown> }>(
        "select event, detail from session_events where session_id = $1 order by id",
        [session.id],
      );
      expect(rows.map((r) => r.event)).toEqual(["created", "renewed"]);
      expect(rows[1].detail).toEqual({ via: "handoff", cookie: false });
      const text = JSON.stringify(rows);
      expect(text).not.toContain(code);
      expect(text).not.toContain(token);
    });
  });
}
