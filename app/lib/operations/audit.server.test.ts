/**
 * The audit trail in-process (PGlite): which events get a row and a log
 * line, that SQL-written rows are not written twice, that refusals are
 * recorded without a write on valid checks, and that credentials never
 * reach a row or a line.
 */
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { recordAuthFailure, redactCredentials, resetAuditThrottle } from "~/lib/operations/audit.server";
import { advanceClock, freezeClock } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import { metrics } from "~/lib/operations/metrics.server";
import {
  createAppSession,
  destroyAppSession,
  generateSessionToken,
  requireAppSession,
  revokeAppSessions,
} from "~/lib/sessions/core.server";
import type { TestDatabase } from "../../../tests/support/databases";
import { captureLogLines, type CapturedLogs } from "../../../tests/support/logs";
import { SecretRegistry, expectNoSecrets } from "../../../tests/support/secret-scan";
import { cookiePair, documentRequest, expectRedirectReason, makeClient, refusal } from "../../../tests/support/sessions";
import { useTestDatabase } from "../../../tests/support/use-database";

const BROWSER = { "User-Agent": "Audit Browser/2.0", "X-Client-IP": "192.0.2.10" };
const FAKE_JWT =
  "eyJhbGciOiJIUzI1NiJ9.eyJkZXN0IjoiaHR0cHM6Ly9leGFtcGxlLm15c2hvcGlmeS5jb20ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("audit trail", () => {
  const database = useTestDatabase();
  let db: TestDatabase;
  let client: Client;
  let logs: CapturedLogs;

  beforeAll(() => {
    db = database();
    logs = captureLogLines();
  });
  /** Rows written before this test are not looked at. */
  let watermark = 0;
  beforeEach(async () => {
    freezeClock(new Date("2026-11-23T09:00:00Z"));
    resetAuditThrottle();
    logs.clear();
    client = await makeClient(db.store);
    const [last] = await db.sql.query<{ id: number | null }>("select max(id)::int as id from session_events");
    watermark = last.id ?? 0;
  });

  async function rows(where = "true", params: unknown[] = []) {
    return db.sql.query<{ event: string; session_id: string | null; client_id: string | null; ip_address: string | null; user_agent: string | null; detail: Record<string, unknown> }>(
      `select event, session_id, client_id, ip_address, user_agent, detail from session_events
        where id > ${watermark} and ${where} order by id`,
      params,
    );
  }

  async function signIn() {
    const created = await createAppSession({
      request: documentRequest("/app", { headers: BROWSER }),
      clientId: client.id,
      user: { id: "user-7", name: "Grace" },
    });
    return { ...created, cookie: cookiePair(created.setCookie) };
  }

  function counter(name: "authFailures" | "sessionsExpired", labels: Record<string, string>) {
    return metrics()[name].get().then((m) => m.values.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value ?? 0);
  }

  it("a created and a logged-out session each have one row (written by SQL) and one log line with client, session, IP and agent", async () => {
    const { session, cookie } = await signIn();
    await destroyAppSession(documentRequest("/logout", { cookie, headers: BROWSER }));
    expect((await rows("session_id = $1", [session.id])).map((r) => r.event)).toEqual(["created", "logged_out"]);
    for (const event of ["session.created", "session.logged_out"]) {
      expect(logs.events(event)).toEqual([
        expect.objectContaining({ sessionId: session.id, clientId: client.id, ip: "192.0.2.10", userAgent: "Audit Browser/2.0" }),
      ]);
    }
  });

  it("a revocation is logged with its count; its rows come from the SQL function", async () => {
    await signIn();
    await signIn();
    expect(await revokeAppSessions({ clientId: client.id, reason: "revoked_by_user" })).toBe(2);
    expect(await rows("client_id = $1 and event = 'revoked'", [client.id])).toHaveLength(2);
    expect(logs.events("session.revoked")).toEqual([expect.objectContaining({ clientId: client.id, count: 2, reason: "revoked_by_user" })]);
  });

  it("an expired session presented again and again is logged each time, recorded once, and counted", async () => {
    const { session, cookie } = await signIn();
    const before = await counter("sessionsExpired", { reason: "idle" });
    advanceClock(31 * 60_000);
    for (let i = 0; i < 3; i++) {
      await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie, headers: BROWSER })), "idle");
    }
    resetAuditThrottle(); // another instance, or this one after a restart: still one row
    await refusal(requireAppSession(documentRequest("/app", { cookie, headers: BROWSER })));
    expect(await rows("session_id = $1 and event = 'idle'", [session.id])).toEqual([
      expect.objectContaining({ client_id: client.id, ip_address: "192.0.2.10", user_agent: "Audit Browser/2.0" }),
    ]);
    expect(logs.events("session.idle")).toHaveLength(4);
    expect((await counter("sessionsExpired", { reason: "idle" })) - before).toBe(4);
  });

  it("a valid session check writes nothing: no audit row, no row update", async () => {
    const { session, cookie } = await signIn();
    const [before] = await db.sql.query<{ updated_at: string }>("select updated_at::text from app_sessions where id = $1", [session.id]);
    const eventsBefore = (await rows()).length;
    for (let i = 0; i < 10; i++) {
      advanceClock(2_000);
      await requireAppSession(documentRequest("/app", { cookie, headers: BROWSER }));
    }
    const [after] = await db.sql.query<{ updated_at: string }>("select updated_at::text from app_sessions where id = $1", [session.id]);
    expect(after.updated_at).toBe(before.updated_at);
    expect((await rows()).length).toBe(eventsBefore);
  });

  it("a forged cookie, an unknown bearer token and an unrecognised bearer value are failed authentications", async () => {
    const forged = "__Host-app_session=InRva2VuIg%3D%3D.forgedsignature";
    await refusal(requireAppSession(documentRequest("/app", { cookie: forged, headers: BROWSER })));
    const unknown = generateSessionToken();
    await refusal(requireAppSession(documentRequest("/app", { headers: { ...BROWSER, "X-Client-IP": "192.0.2.11", Authorization: `Bearer ${unknown}` } })));
    await refusal(requireAppSession(documentRequest("/app", { headers: { ...BROWSER, "X-Client-IP": "192.0.2.12", Authorization: `Bearer ${FAKE_JWT}` } })));
    const failures = await rows("event = 'auth_failed'");
    expect(failures.map((r) => [r.detail.kind, r.ip_address])).toEqual([
      ["bad_cookie", "192.0.2.10"],
      ["unknown_token", "192.0.2.11"],
      ["unrecognized_bearer", "192.0.2.12"],
    ]);
    expect(logs.events("session.auth_failed").map((l) => [l.kind, l.level])).toEqual([
      ["bad_cookie", 40],
      ["unknown_token", 40],
      ["unrecognized_bearer", 40],
    ]);
    const secrets = new SecretRegistry().add("unknown token", unknown).add("platform JWT", FAKE_JWT).addCookie("forged cookie", forged);
    expectNoSecrets(secrets, { logs: logs.text(), session_events: JSON.stringify(await rows()) });
  });

  it("recordAuthFailure (for platform code) logs and counts every failure, stores one row per reason and address a minute, and redacts tokens in the detail", async () => {
    const before = await counter("authFailures", { reason: "jwt" });
    const request = documentRequest("/app?id_token=secret", { headers: BROWSER });
    for (let i = 0; i < 5; i++) {
      await recordAuthFailure(request, "jwt", { reason: "signature mismatch", error: `Failed to parse session token '${FAKE_JWT}'`, clientId: client.id });
    }
    await recordAuthFailure(documentRequest("/app", { headers: { ...BROWSER, "X-Client-IP": "192.0.2.99" } }), "jwt", { reason: "expired" });
    expect((await counter("authFailures", { reason: "jwt" })) - before).toBe(6);
    expect(logs.events("session.auth_failed")).toHaveLength(6);
    const stored = await rows("event = 'auth_failed'");
    expect(stored.map((r) => r.ip_address)).toEqual(["192.0.2.10", "192.0.2.99"]);
    expect(stored[0]).toMatchObject({ client_id: client.id, detail: { kind: "jwt", reason: "signature mismatch", error: "Failed to parse session token '[redacted]'" } });
    // The path is logged, never the query string (it carries id_token / account).
    expect(logs.events("session.auth_failed")[0]).toMatchObject({ path: "/app", method: "GET" });
    expect(logs.text()).not.toContain("id_token=secret");
    expectNoSecrets(new SecretRegistry().add("platform JWT", FAKE_JWT), { logs: logs.text(), session_events: JSON.stringify(stored) });
  });

  it("redactCredentials hides JWTs and opaque runs but keeps words, shop domains and UUIDs", () => {
    const token = generateSessionToken().replace(/^./, "A") + "9x";
    expect(redactCredentials(`bad token ${FAKE_JWT} here`)).toBe("bad token [redacted] here");
    expect(redactCredentials(`hmac ${"ab12".repeat(16)}`)).toBe("hmac [redacted]");
    expect(redactCredentials(`bearer ${token}`)).toBe("bearer [redacted]");
    const plain = "a-very-long-shop-name-for-the-winery-2026.myshopify.com 3f2a4c1e-9b7d-4e2f-8a1b-0c9d8e7f6a5b signature mismatch";
    expect(redactCredentials(plain)).toBe(plain);
  });
});
