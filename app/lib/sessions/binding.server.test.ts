/**
 * The hijack policy, SESSION_BINDING=off|log|strict, through
 * requireAppSession as a loader calls it (PGlite, in-process).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resetAuditThrottle } from "~/lib/operations/audit.server";
import { freezeClock } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import { resetEnv } from "~/lib/env.server";
import { resetBindingMemory } from "~/lib/sessions/binding.server";
import { createAppSession, getAppSession, requireAppSession } from "~/lib/sessions/core.server";
import type { TestDatabase } from "../../../tests/support/databases";
import { captureLogLines, type CapturedLogs } from "../../../tests/support/logs";
import { cookiePair, documentRequest, expectRedirectReason, makeClient } from "../../../tests/support/sessions";
import { useTestDatabase } from "../../../tests/support/use-database";

const HOME = { "User-Agent": "Mozilla/5.0 (Macintosh) Safari/605.1.15", "X-Client-IP": "203.0.113.7" };
const OTHER_AGENT = { ...HOME, "User-Agent": "curl/8.5.0" };
const OTHER_IP = { ...HOME, "X-Client-IP": "198.51.100.23" };

describe("hijack policy (SESSION_BINDING)", () => {
  const database = useTestDatabase();
  let db: TestDatabase;
  let client: Client;
  let logs: CapturedLogs;

  beforeAll(() => {
    db = database();
    logs = captureLogLines();
  });
  afterAll(() => {
    delete process.env.SESSION_BINDING;
    resetEnv();
  });
  beforeEach(async () => {
    freezeClock(new Date("2026-11-23T09:00:00Z"));
    resetAuditThrottle();
    resetBindingMemory();
    logs.clear();
    client = await makeClient(db.store);
  });

  function useMode(mode: string | undefined) {
    if (mode === undefined) delete process.env.SESSION_BINDING;
    else process.env.SESSION_BINDING = mode;
    resetEnv();
  }

  async function signIn() {
    const created = await createAppSession({ request: documentRequest("/app", { headers: HOME }), clientId: client.id });
    return { ...created, cookie: cookiePair(created.setCookie) };
  }

  async function eventsOf(sessionId: string) {
    const rows = await db.sql.query<{ event: string; detail: Record<string, unknown> }>(
      "select event, detail from session_events where session_id = $1 order by id",
      [sessionId],
    );
    return rows.map((r) => r.event);
  }

  async function stored(sessionId: string) {
    const [row] = await db.sql.query<{ user_agent: string; ip_address: string; revoked_at: unknown; updated_at: string }>(
      "select user_agent, ip_address, revoked_at, updated_at::text from app_sessions where id = $1",
      [sessionId],
    );
    return row;
  }

  for (const mode of ["off", "log", "strict"]) {
    it(`${mode}: the same browser from the same address is accepted and nothing is written`, async () => {
      useMode(mode);
      const { session, cookie } = await signIn();
      const before = await stored(session.id);
      for (let i = 0; i < 3; i++) await requireAppSession(documentRequest("/app", { cookie, headers: HOME }));
      expect(await stored(session.id)).toEqual(before);
      expect(await eventsOf(session.id)).toEqual(["created"]);
    });
  }

  it("log is the default", async () => {
    useMode(undefined);
    const { session, cookie } = await signIn();
    await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_AGENT }));
    expect(await eventsOf(session.id)).toEqual(["created", "suspicious"]);
  });

  it("off: another user agent or address is accepted and not recorded", async () => {
    useMode("off");
    const { session, cookie } = await signIn();
    await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_AGENT }));
    await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_IP }));
    expect(await eventsOf(session.id)).toEqual(["created"]);
    expect(await stored(session.id)).toMatchObject({ user_agent: HOME["User-Agent"], ip_address: "203.0.113.7" });
    expect(logs.events("session.suspicious")).toEqual([]);
  });

  it("log: a user-agent change is accepted, logged as suspicious with both agents, and recorded once", async () => {
    useMode("log");
    const { session, cookie } = await signIn();
    const before = await stored(session.id);
    const accepted = await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_AGENT }));
    expect(accepted.id).toBe(session.id);
    // The same change again, here and on another instance (which has not seen it): no second row.
    await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_AGENT }));
    resetBindingMemory();
    await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_AGENT }));
    expect(await eventsOf(session.id)).toEqual(["created", "suspicious"]);
    // The session keeps where it started; the original browser is not "changed".
    expect(await stored(session.id)).toEqual(before);
    await requireAppSession(documentRequest("/app", { cookie, headers: HOME }));
    expect(await eventsOf(session.id)).toEqual(["created", "suspicious"]);
    expect(logs.events("session.suspicious")).toEqual([
      expect.objectContaining({
        level: 40,
        sessionId: session.id,
        clientId: client.id,
        userAgent: "curl/8.5.0",
        sessionUserAgent: HOME["User-Agent"],
        revoked: false,
      }),
    ]);
  });

  it("log: an IP change is accepted and logged as ip_changed", async () => {
    useMode("log");
    const { session, cookie } = await signIn();
    await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_IP }));
    expect(await eventsOf(session.id)).toEqual(["created", "ip_changed"]);
    expect(logs.events("session.ip_changed")).toEqual([
      expect.objectContaining({ ip: "198.51.100.23", sessionIp: "203.0.113.7", level: 30 }),
    ]);
  });

  it("strict: a user-agent change revokes the session; this request and the next are refused as revoked", async () => {
    useMode("strict");
    const { session, cookie } = await signIn();
    const response = await expectRedirectReason(
      requireAppSession(documentRequest("/app", { cookie, headers: OTHER_AGENT })),
      "revoked",
    );
    expect(response.headers.get("Set-Cookie")).toMatch(/Max-Age=0/);
    // The original browser is out too: the session is gone for everyone.
    await expectRedirectReason(requireAppSession(documentRequest("/app", { cookie, headers: HOME })), "revoked");
    expect(await eventsOf(session.id)).toEqual(["created", "suspicious", "revoked"]);
    expect((await getAppSession(documentRequest("/app", { cookie }))).reason).toBe("revoked");
    expect(logs.events("session.suspicious")[0]).toMatchObject({ revoked: true, mode: "strict" });
  });

  it("strict: a request without a User-Agent is a change too (stripping the header is no way around it)", async () => {
    useMode("strict");
    const { cookie } = await signIn();
    await expectRedirectReason(
      requireAppSession(documentRequest("/app", { cookie, headers: { "X-Client-IP": "203.0.113.7" } })),
      "revoked",
    );
  });

  it("strict: an IP change alone is only logged; the session goes on", async () => {
    useMode("strict");
    const { session, cookie } = await signIn();
    const accepted = await requireAppSession(documentRequest("/app", { cookie, headers: OTHER_IP }));
    expect(accepted.id).toBe(session.id);
    expect(await eventsOf(session.id)).toEqual(["created", "ip_changed"]);
    expect(await stored(session.id)).toMatchObject({ revoked_at: null, ip_address: "203.0.113.7" });
  });

  it("a bad SESSION_BINDING value is a configuration error naming the variable", async () => {
    useMode("paranoid");
    const { env } = await import("~/lib/env.server");
    expect(() => env()).toThrow(/SESSION_BINDING/);
    useMode(undefined);
  });
});
