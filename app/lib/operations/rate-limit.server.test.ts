/**
 * Rate limits in-process (PGlite): the 429 shape, "nothing done" when over
 * the limit, the entry dispatch limited per IP (attempts and failures) and
 * per tenant (only entries the platform vouched for), and the settings. Sharing between instances is proven over HTTP in
 * tests/http/operations.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resetAuditThrottle } from "~/lib/operations/audit.server";
import { freezeClock } from "~/lib/clock.server";
import type { Client } from "~/lib/db/store.server";
import { ConfigError, parseEnv, resetEnv } from "~/lib/env.server";
import { enforceRateLimit } from "~/lib/operations/rate-limit.server";
import { jsonError } from "~/lib/http.server";
import {
  admitVerifiedEntry,
  createAppSession,
  registerEntryHandler,
  requireAppSession,
  startAppSession,
  type AppSession,
} from "~/lib/sessions/core.server";
import type { TestDatabase } from "../../../tests/support/databases";
import { cookiePair, documentRequest, makeClient, refusal } from "../../../tests/support/sessions";
import { useTestDatabase } from "../../../tests/support/use-database";

const LIMITS = {
  RATE_LIMIT_ENTRY_IP: "3/1m",
  RATE_LIMIT_ENTRY_FAILURES_IP: "2/1m",
  RATE_LIMIT_ENTRY_CLIENT: "5/1m",
  RATE_LIMIT_LOGOUT_IP: "2/30s",
  RATE_LIMIT_CLEANUP_IP: "off",
};

describe("rate limits", () => {
  const database = useTestDatabase();
  let db: TestDatabase;
  let client: Client;
  let entries = 0;
  let created = 0;

  beforeAll(() => {
    db = database();
    Object.assign(process.env, LIMITS);
    resetEnv();
    // A stand-in platform entry: `/app?test-entry=<tenant>` asks the "platform"
    // (counted in `entries`), which vouches unless the URL says `forged`; then
    // the tenant is admitted and a session created, as the real handlers do.
    registerEntryHandler({
      name: "test-platform",
      matches: (request) => new URL(request.url).searchParams.has("test-entry"),
      async enter(request): Promise<AppSession> {
        const params = new URL(request.url).searchParams;
        entries += 1;
        if (params.has("forged")) throw jsonError(401, "no_access", "The platform did not vouch for this entry.");
        await admitVerifiedEntry(request, params.get("test-entry") as string);
        created += 1;
        return (await startAppSession({ request, clientId: client.id })).session;
      },
    });
  });
  afterAll(() => {
    for (const name of Object.keys(LIMITS)) delete process.env[name];
    resetEnv();
  });
  beforeEach(async () => {
    // 10 s into a minute: a 1-minute window closes in 50 s.
    freezeClock(new Date("2026-11-23T09:00:10Z"));
    resetAuditThrottle();
    entries = 0;
    created = 0;
    client = await makeClient(db.store);
  });

  let ipCounter = 0;
  function from(ip = `192.0.2.${++ipCounter}`) {
    return { "X-Client-IP": ip, "User-Agent": "Rate Test/1.0", "X-Request-Id": crypto.randomUUID() };
  }

  it("over the limit: 429 JSON with Retry-After until the window closes", async () => {
    const headers = from();
    await enforceRateLimit(documentRequest("/logout", { headers }), "logout");
    await enforceRateLimit(documentRequest("/logout", { headers }), "logout");
    const response = await refusal(enforceRateLimit(documentRequest("/logout", { headers }), "logout"));
    expect(response.status).toBe(429);
    // 2/30s: the window 09:00:00-09:00:30 closes in 20 s.
    expect(response.headers.get("Retry-After")).toBe("20");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: "rate_limited", message: expect.stringContaining("20 seconds"), retryAfter: 20 });
  });

  it("a limit set to off is not counted at all", async () => {
    const headers = from();
    for (let i = 0; i < 20; i++) await enforceRateLimit(documentRequest("/api/sessions/cleanup", { headers }), "cleanup");
    const [row] = await db.sql.query<{ n: number }>("select count(*)::int as n from rate_limit_counters where bucket like 'cleanup%'");
    expect(row.n).toBe(0);
  });

  it("an entry over the per-IP limit is refused before the platform is asked, and recorded", async () => {
    const headers = from();
    for (let i = 0; i < 3; i++) await requireAppSession(documentRequest("/app?test-entry=tenant-a", { headers: { ...headers, "X-Request-Id": crypto.randomUUID() } }));
    expect(entries).toBe(3);
    const response = await refusal(requireAppSession(documentRequest("/app?test-entry=tenant-a", { headers: { ...headers, "X-Request-Id": crypto.randomUUID() } })));
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("50");
    expect(entries).toBe(3);
    const [event] = await db.sql.query<{ ip_address: string; detail: Record<string, unknown> }>(
      "select ip_address, detail from session_events where event = 'rate_limited' and ip_address = $1",
      [headers["X-Client-IP"]],
    );
    expect(event.detail).toMatchObject({ bucket: "entry", limit: "entry:ip 3/60s", retryAfterSeconds: 50 });
  });

  it("an entry over the per-tenant limit is refused whatever address it comes from", async () => {
    for (let i = 0; i < 5; i++) await requireAppSession(documentRequest("/app?test-entry=Tenant-B", { headers: from() }));
    const response = await refusal(requireAppSession(documentRequest("/app?test-entry=tenant-b", { headers: from() })));
    expect(response.status).toBe(429);
    expect(created).toBe(5);
    // Another tenant from a fresh address is not affected.
    await requireAppSession(documentRequest("/app?test-entry=tenant-c", { headers: from() }));
    expect(created).toBe(6);
  });

  it("forged entries naming a tenant, from many addresses, never spend its budget: the merchant still gets in", async () => {
    // Twice the tenant's limit of forged entries, each from a fresh address (under every per-IP limit).
    for (let i = 0; i < 10; i++) {
      const response = await refusal(requireAppSession(documentRequest("/app?test-entry=victim&forged=1", { headers: from() })));
      expect(response.status).toBe(401);
    }
    expect(created).toBe(0);
    await requireAppSession(documentRequest("/app?test-entry=victim", { headers: from() }));
    expect(created).toBe(1);
    const rows = await db.sql.query<{ bucket: string }>("select bucket from rate_limit_counters where key = 'victim'");
    expect(rows.map((r) => r.bucket)).toEqual(["entry_verified:client"]);
  });

  it("an address whose entries keep failing is refused before the platform is asked again; other addresses are not", async () => {
    const attacker = from();
    for (let i = 0; i < 2; i++) {
      const failed = await refusal(requireAppSession(documentRequest("/app?test-entry=victim&forged=1", { headers: { ...attacker, "X-Request-Id": crypto.randomUUID() } })));
      expect(failed.status).toBe(401);
    }
    const asked = entries;
    const refused = await refusal(requireAppSession(documentRequest("/app?test-entry=victim&forged=1", { headers: { ...attacker, "X-Request-Id": crypto.randomUUID() } })));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("50");
    expect(entries).toBe(asked);
    // Even a good entry from that address waits; the merchant's own address is not affected.
    expect((await refusal(requireAppSession(documentRequest("/app?test-entry=victim", { headers: { ...attacker, "X-Request-Id": crypto.randomUUID() } })))).status).toBe(429);
    await requireAppSession(documentRequest("/app?test-entry=victim", { headers: from() }));
    expect(created).toBe(1);
  });

  it("plain session checks are never counted", async () => {
    const headers = from();
    const { setCookie } = await createAppSession({ request: documentRequest("/app", { headers }), clientId: client.id });
    const cookie = cookiePair(setCookie);
    const hits = async () =>
      (await db.sql.query<{ n: number }>("select coalesce(sum(hits), 0)::int as n from rate_limit_counters"))[0].n;
    const before = await hits();
    for (let i = 0; i < 10; i++) {
      await requireAppSession(documentRequest("/app", { cookie, headers: { ...headers, "X-Request-Id": crypto.randomUUID() } }));
    }
    expect(await hits()).toBe(before);
  });

  describe("settings", () => {
    const base = { NODE_ENV: "test", SESSION_SECRET: "x".repeat(32), TOKEN_ENCRYPTION_KEY: "0".repeat(63) + "1" };

    it('read "<hits>/<window>" with s, m or h, and "off"', () => {
      const settings = parseEnv({ ...base, RATE_LIMIT_ENTRY_IP: "30/1m", RATE_LIMIT_INSTALL_IP: "5/10s", RATE_LIMIT_LOGOUT_IP: "100/h", RATE_LIMIT_CLEANUP_IP: "off" });
      expect(settings.RATE_LIMIT_ENTRY_IP).toEqual({ limit: 30, windowSeconds: 60 });
      expect(settings.RATE_LIMIT_INSTALL_IP).toEqual({ limit: 5, windowSeconds: 10 });
      expect(settings.RATE_LIMIT_LOGOUT_IP).toEqual({ limit: 100, windowSeconds: 3600 });
      expect(settings.RATE_LIMIT_CLEANUP_IP).toBeNull();
      expect(parseEnv(base).RATE_LIMIT_ENTRY_IP).toEqual({ limit: 60, windowSeconds: 60 });
    });

    it("a malformed limit is refused with the variable's name", () => {
      for (const bad of ["lots", "0/1m", "10/0s", "10/2d"]) {
        expect(() => parseEnv({ ...base, RATE_LIMIT_ENTRY_CLIENT: bad })).toThrow(ConfigError);
        expect(() => parseEnv({ ...base, RATE_LIMIT_ENTRY_CLIENT: bad })).toThrow(/RATE_LIMIT_ENTRY_CLIENT/);
      }
    });
  });
});
