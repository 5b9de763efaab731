/**
 * The session check on every request is a plain read (decision 008), on
 * every backend: it writes nothing while the session's activity is fresh,
 * the planner inlines it into an index lookup, it keeps no validity in the
 * process (a session revoked by anyone, another instance included, is refused
 * at its very next request), and validate_app_session still answers with the
 * same rules in one call.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import { createAppSession, hashSessionToken, requireAppSession } from "~/lib/sessions/core.server";
import { postgresAvailable, supabaseBackend, type Backend, type TestDatabase } from "../support/databases";
import { cookiePair, documentRequest, expectRedirectReason, makeClient } from "../support/sessions";
import { availableBackends, useTestDatabase } from "../support/use-database";

const backends: Backend[] = [...availableBackends, ...(postgresAvailable() ? [supabaseBackend] : [])];

for (const backend of backends) {
  describe(`the session check on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let db: TestDatabase;
    let client: Client;

    beforeEach(async () => {
      db = database();
      freezeClock(new Date("2026-12-06T09:00:00Z"));
      client = await makeClient(db.store);
    });

    async function signIn() {
      const created = await createAppSession({ request: documentRequest("/app"), clientId: client.id, user: { id: "user-1" } });
      return { ...created, cookie: cookiePair(created.setCookie) };
    }

    /** The row's version: any UPDATE of it, however small, changes xmin. */
    async function rowVersion(sessionId: string): Promise<string> {
      const [row] = await db.sql.query<{ v: string }>("select xmin::text as v from app_sessions where id = $1", [sessionId]);
      return row.v;
    }

    it("writes nothing while the session's activity is fresh, and records it once when due", async () => {
      const { cookie, session } = await signIn();
      const version = await rowVersion(session.id);
      for (let i = 0; i < 5; i++) {
        advanceClock(10_000);
        await requireAppSession(documentRequest("/app", { cookie }));
      }
      expect(await rowVersion(session.id)).toBe(version);

      advanceClock(15_000); // 65 s after sign-in: due
      const touched = await requireAppSession(documentRequest("/app", { cookie }));
      expect(touched.lastActivityAt.getTime()).toBe(now().getTime());
      expect(touched.idleExpiresAt.getTime()).toBe(now().getTime() + session.idleTimeoutSeconds * 1000);
      const after = await rowVersion(session.id);
      expect(after).not.toBe(version);
      await requireAppSession(documentRequest("/app", { cookie }));
      expect(await rowVersion(session.id)).toBe(after);
    });

    it("a session revoked behind the app's back (another instance, an operator) is refused at its very next request", async () => {
      const { cookie, session } = await signIn();
      for (let i = 0; i < 3; i++) expect((await requireAppSession(documentRequest("/app", { cookie }))).id).toBe(session.id);
      await db.sql.query("update app_sessions set revoked_at = $2, revoked_reason = 'operator' where id = $1", [session.id, now()]);
      await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "revoked");
    });

    it("a session deleted behind the app's back is unknown at its very next request", async () => {
      const { cookie, session } = await signIn();
      await requireAppSession(documentRequest("/app", { cookie }));
      await db.sql.query("delete from app_sessions where id = $1", [session.id]);
      await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie })), "unauthenticated");
    });

    it("a check that is due does not bring a revoked session back to life", async () => {
      const { session, token } = await signIn();
      advanceClock(2 * 60_000);
      await db.sql.query("update app_sessions set revoked_at = $2 where id = $1", [session.id, now()]);
      const touched = await db.store.db.rows("touch_app_session", {
        p_session_id: session.id,
        p_touch_interval_seconds: 60,
        p_now: now(),
      });
      expect(touched).toEqual([]);
      expect((await db.store.validateAppSession(hashSessionToken(token), 60, now())).status).toBe("revoked");
    });

    it("validate_app_session keeps its one-call contract: status and the session as JSON, touched when due", async () => {
      const { session, token } = await signIn();
      advanceClock(2 * 60_000);
      const [row] = await db.store.db.rows("validate_app_session", {
        p_token_hash: hashSessionToken(token),
        p_touch_interval_seconds: 60,
        p_now: now(),
      });
      const returned = row.session as Record<string, unknown>;
      expect(row.status).toBe("valid");
      expect(returned.id).toBe(session.id);
      expect(returned.csrf_token).toBe(session.csrfToken);
      expect(Object.keys(returned)).not.toContain("touch_due");
      expect(new Date(returned.last_activity_at as string).getTime()).toBe(now().getTime());
      const [unknown] = await db.store.db.rows("validate_app_session", { p_token_hash: "00".repeat(32) });
      expect(unknown).toEqual({ status: "unknown", session: null });
    });

    it("the planner inlines the check into an index lookup (no function call per request)", async () => {
      const plan = await db.sql.query<{ "QUERY PLAN": string }>(
        "explain select * from public.app_session_check(p_token_hash => $1, p_touch_interval_seconds => $2, p_now => $3)",
        ["00".repeat(32), 60, now()],
      );
      const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
      expect(text).toContain("Index Scan using app_sessions_token_hash_key");
      expect(text).not.toMatch(/Function Scan/);
    });
  });
}
