/**
 * Cookie-less mode over real HTTP: the Commerce7 entry's page carries a
 * one-time handoff code (never the session token); the page redeems it at
 * POST /auth/session-handoff and, when its browser refused the cookie, gets
 * the session's NEW token to send as Bearer. Replayed, late, foreign and
 * malformed redemptions are refused; the code opens nothing by itself; a
 * token rotated by "keep me signed in" comes back in X-App-Session-Token;
 * nothing secret reaches the logs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox, sessionTokenOf } from "../support/commerce7";
import { expectNoSecrets, SecretRegistry } from "../support/secret-scan";
import { cookieAttributes, cookiePair } from "../support/sessions";

const HANDOFF = "/auth/session-handoff";
/** Low enough for the last test to reach, high enough for the others. */
const HANDOFF_LIMIT = 25;

let app: RunningApp;
let sandbox: ReturnType<typeof commerce7Sandbox>;
const secrets = new SecretRegistry();
let tenants = 0;

beforeAll(async () => {
  app = await startApp({ ...COMMERCE7_TEST_ENV, RATE_LIMIT_HANDOFF_IP: `${HANDOFF_LIMIT}/1m` });
  sandbox = commerce7Sandbox(app, secrets);
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(async () => {
  await sandbox.control({ reset: true, virtualTime: true });
});

/** The Commerce7 admin opens the app: the page, its cookie, and the handoff code in the page. */
async function enter() {
  tenants += 1;
  const tenantId = `handoff-winery-${tenants}`;
  await sandbox.activate(tenantId);
  const { response } = await sandbox.enter({ tenantId });
  expect(response.status).toBe(200);
  const html = await response.text();
  const setCookie = response.headers.get("set-cookie") ?? "";
  const code = /"handoff":"([A-Za-z0-9_-]{32})"/.exec(html)?.[1];
  if (!code) throw new Error("the entry page carries no handoff code");
  secrets.add("handoff code", code);
  return { tenantId, html, setCookie, cookie: cookiePair(setCookie), entryToken: sessionTokenOf(setCookie), code };
}

/** The page's own POST (same origin), optionally with the cookie its browser kept. */
function redeem(code: unknown, init: { cookie?: string; headers?: Record<string, string>; body?: string } = {}) {
  return fetch(`${app.url}${HANDOFF}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "Sec-Fetch-Site": "same-origin",
      ...(init.cookie ? { Cookie: init.cookie } : {}),
      ...init.headers,
    },
    body: init.body ?? JSON.stringify({ code }),
  });
}

async function redeemedToken(code: string): Promise<string> {
  const res = await redeem(code);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { token: string };
  secrets.add("session token from the handoff", body.token);
  return body.token;
}

function data(path: string, credential: { bearer?: string; cookie?: string }) {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (credential.bearer) headers.Authorization = `Bearer ${credential.bearer}`;
  if (credential.cookie) headers.Cookie = credential.cookie;
  return fetch(`${app.url}${path}`, { headers, redirect: "manual" });
}

describe("the entry's page", () => {
  it("carries a one-time handoff code for the page, and never the session token", async () => {
    const { html, code, entryToken } = await enter();
    expect(html).not.toContain(entryToken);
    expect(code).not.toBe(entryToken);
    // Only the entry renders a code: the same page revalidated has none.
    const { cookie } = await enter();
    const layout = await data("/app?_data=routes%2Fapp", { cookie });
    expect(((await layout.json()) as { handoff: unknown }).handoff).toBeNull();
  });
});

describe("POST /auth/session-handoff", () => {
  it("a browser that refused the cookie gets the session's new token in the body; it carries the pages; the entry's token is dead", async () => {
    const { code, entryToken, cookie } = await enter();
    const res = await redeem(code);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { ok: boolean; credential: string; token: string };
    expect(body).toMatchObject({ ok: true, credential: "bearer", token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    secrets.add("session token from the handoff", body.token);
    // The same token in a Set-Cookie too, for a browser that accepts cookies after all.
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(cookieAttributes(setCookie).name).toBe("__Host-app_session");
    expect(sessionTokenOf(setCookie)).toBe(body.token);

    for (const path of ["/app?_data=routes%2Fapp._index", "/app/settings?_data=routes%2Fapp.settings", "/app/sessions?_data=routes%2Fapp.sessions"]) {
      expect((await data(path, { bearer: body.token })).status, path).toBe(200);
    }
    expect((await data("/app?_data=routes%2Fapp", { bearer: entryToken })).status).toBe(401);
    expect((await data("/app?_data=routes%2Fapp", { cookie })).status).toBe(401);
    expect((await sandbox.report()).accountUserCalls).toBe(1);
  });

  it("a browser that kept the cookie gets its cookie rotated and no token at all", async () => {
    const { code, cookie } = await enter();
    const res = await redeem(code, { cookie });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, credential: "cookie" });
    const rotated = cookiePair(res.headers.get("set-cookie") ?? "");
    expect(rotated).not.toBe(cookie);
    expect((await data("/app?_data=routes%2Fapp", { cookie: rotated })).status).toBe(200);
    expect((await data("/app?_data=routes%2Fapp", { cookie })).status).toBe(401);
  });

  it("a replayed code gets 401 (and the audit trail a failed authentication)", async () => {
    const { code } = await enter();
    await redeemedToken(code);
    const replay = await redeem(code);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: "invalid_handoff", message: expect.any(String) });
    // The app's log line reaches its stdout a moment after the answer.
    await expect.poll(() => app.output()).toMatch(/"event":"session\.auth_failed"[^\n]*"kind":"handoff_code"/);
  });

  it("a late code gets 401 and leaves the entry's cookie working", async () => {
    const { code, cookie } = await enter();
    const moved = await fetch(`${app.url}/sandbox/clock`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ advanceSeconds: 61 }),
    });
    expect(moved.status).toBe(200);
    expect((await redeem(code)).status).toBe(401);
    expect((await data("/app?_data=routes%2Fapp", { cookie })).status).toBe(200);
  });

  it("the code alone is no credential: as a Bearer it opens nothing", async () => {
    const { code } = await enter();
    const res = await data("/app?_data=routes%2Fapp", { bearer: code });
    expect(res.status).toBe(401);
  });

  it("only the app's own pages may redeem, with a JSON body holding a code", async () => {
    const { code } = await enter();
    expect((await redeem(code, { headers: { "Sec-Fetch-Site": "cross-site" } })).status).toBe(403);
    const noOrigin = await fetch(`${app.url}${HANDOFF}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code }),
    });
    expect(noOrigin.status).toBe(403);
    expect((await redeem(code, { headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `code=${code}` })).status).toBe(415);
    expect((await redeem(code, { body: "{not json" })).status).toBe(400);
    expect((await redeem("short")).status).toBe(400);
    expect((await fetch(`${app.url}${HANDOFF}`)).status).toBe(405);
    // None of those spent the code.
    expect((await redeem(code)).status).toBe(200);
  });
});

describe("the page's token after the handoff", () => {
  it("'keep me signed in' rotates it and hands the new one back in X-App-Session-Token", async () => {
    const { code } = await enter();
    const token = await redeemedToken(code);
    const layout = await data("/app/sessions?_data=routes%2Fapp", { bearer: token });
    const { csrfToken } = (await layout.json()) as { csrfToken: string };
    const res = await fetch(`${app.url}/app/sessions?_data=routes%2Fapp.sessions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams({ intent: "remember_me", csrf: csrfToken }),
    });
    expect(res.status).toBe(200);
    const rotated = res.headers.get("x-app-session-token") ?? "";
    secrets.add("rotated session token", rotated);
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await data("/app?_data=routes%2Fapp", { bearer: rotated })).status).toBe(200);
    expect((await data("/app?_data=routes%2Fapp", { bearer: token })).status).toBe(401);
  });

  it("logging out with it ends the session", async () => {
    const { code } = await enter();
    const token = await redeemedToken(code);
    const res = await fetch(`${app.url}/logout`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    });
    expect(res.status).toBe(200);
    expect((await data("/app?_data=routes%2Fapp", { bearer: token })).status).toBe(401);
  });
});

describe("limits and logs", () => {
  it("redemptions are rate limited per IP (429 with Retry-After)", async () => {
    let last: Response | null = null;
    for (let i = 0; i <= HANDOFF_LIMIT; i++) {
      last = await redeem("A".repeat(32));
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("no code, session token or cookie appears in anything the app logged", () => {
    expectNoSecrets(secrets, { "server output": app.output() });
  });
});
