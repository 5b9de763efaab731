/**
 * Opening the app again from the Commerce7 admin, over real HTTP: one
 * browser holds one session per user. With the cookie, a new entry replaces
 * the session the cookie carried; without it (Safari: the page keeps its
 * Bearer token in its own storage), the page hands its earlier token to the
 * redemption of the new entry's code and that session ends. "Keep me signed
 * in", chosen on this device, carries over to the new session either way.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { cookiePair } from "../support/sessions";

let app: RunningApp;
let sandbox: ReturnType<typeof commerce7Sandbox>;
let tenants = 0;

beforeAll(async () => {
  app = await startApp({ ...COMMERCE7_TEST_ENV, RATE_LIMIT_HANDOFF_IP: "off" });
  sandbox = commerce7Sandbox(app);
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(async () => {
  await sandbox.control({ reset: true, virtualTime: true });
});

async function newTenant(): Promise<string> {
  tenants += 1;
  const tenantId = `repeat-entry-winery-${tenants}`;
  await sandbox.activate(tenantId);
  return tenantId;
}

/** The admin opens the app (a document request), with the cookie this browser kept, if any. */
async function enter(tenantId: string, cookie?: string) {
  const { response } = await sandbox.enter({ tenantId }, { Accept: "text/html", ...(cookie ? { Cookie: cookie } : {}) });
  expect(response.status).toBe(200);
  const html = await response.text();
  const code = /"handoff":"([A-Za-z0-9_-]{32})"/.exec(html)?.[1];
  if (!code) throw new Error("the entry page carries no handoff code");
  return { code, setCookie: response.headers.get("set-cookie") ?? "" };
}

/** The page redeems its code (no cookie: the browser refused it), handing over the token it held before. */
async function redeem(code: string, previous?: string): Promise<{ token: string; setCookie: string }> {
  const res = await fetch(`${app.url}/auth/session-handoff`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "Sec-Fetch-Site": "same-origin" },
    body: JSON.stringify(previous ? { code, previous } : { code }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { credential: string; token: string };
  expect(body.credential).toBe("bearer");
  return { token: body.token, setCookie: res.headers.get("set-cookie") ?? "" };
}

async function sessionsSeen(credential: { bearer?: string; cookie?: string }) {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (credential.bearer) headers.Authorization = `Bearer ${credential.bearer}`;
  if (credential.cookie) headers.Cookie = credential.cookie;
  const res = await fetch(`${app.url}/app/sessions?_data=routes/app.sessions`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as { current: { rememberMe: boolean }; sessions: Array<{ isCurrent: boolean; rememberMe: boolean }> };
}

async function rememberMe(credential: { bearer?: string; cookie?: string; csrf: string }) {
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
    "Sec-Fetch-Site": "same-origin",
  };
  if (credential.bearer) headers.Authorization = `Bearer ${credential.bearer}`;
  if (credential.cookie) headers.Cookie = credential.cookie;
  const res = await fetch(`${app.url}/app/sessions?_data=routes/app.sessions`, {
    method: "POST",
    headers,
    body: new URLSearchParams({ intent: "remember_me", csrf: credential.csrf }),
  });
  expect(res.status).toBe(200);
  return res;
}

async function csrfOf(credential: { bearer?: string; cookie?: string }): Promise<string> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (credential.bearer) headers.Authorization = `Bearer ${credential.bearer}`;
  if (credential.cookie) headers.Cookie = credential.cookie;
  const res = await fetch(`${app.url}/app?_data=routes/app`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

describe("opening the app again in the same browser", () => {
  it("cookie: three entries leave one session, and 'keep me signed in' carries over", async () => {
    const tenantId = await newTenant();
    let cookie = cookiePair((await enter(tenantId)).setCookie);
    const remembered = await rememberMe({ cookie, csrf: await csrfOf({ cookie }) });
    cookie = cookiePair(remembered.headers.get("set-cookie") ?? "");
    for (let i = 0; i < 2; i += 1) {
      const { setCookie } = await enter(tenantId, cookie);
      expect(setCookie).toMatch(/Max-Age=\d{7}/i);
      cookie = cookiePair(setCookie);
    }
    const seen = await sessionsSeen({ cookie });
    expect(seen.sessions).toHaveLength(1);
    expect(seen.current.rememberMe).toBe(true);
  });

  it("Bearer (cookie refused): the page's earlier token ends with the new entry; three entries leave one session", async () => {
    const tenantId = await newTenant();
    let token = (await redeem((await enter(tenantId)).code)).token;
    const first = token;
    for (let i = 0; i < 2; i += 1) token = (await redeem((await enter(tenantId)).code, token)).token;
    expect((await sessionsSeen({ bearer: token })).sessions).toHaveLength(1);
    // The first token opens nothing any more.
    const old = await fetch(`${app.url}/app?_data=routes/app`, { headers: { Authorization: `Bearer ${first}`, Accept: "application/json" } });
    expect(old.status).toBe(401);
  });

  it("Bearer: 'keep me signed in' chosen in this tab carries over to the next entry", async () => {
    const tenantId = await newTenant();
    const token = (await redeem((await enter(tenantId)).code)).token;
    const rotated = (await rememberMe({ bearer: token, csrf: await csrfOf({ bearer: token }) })).headers.get("X-App-Session-Token");
    expect(rotated).toMatch(/^[\w-]{43}$/);
    const next = await redeem((await enter(tenantId)).code, rotated as string);
    const seen = await sessionsSeen({ bearer: next.token });
    expect(seen.sessions).toHaveLength(1);
    expect(seen.current.rememberMe).toBe(true);
  });

  it("a token that is not a session token is ignored (the new entry still works)", async () => {
    const tenantId = await newTenant();
    const { token } = await redeem((await enter(tenantId)).code, "not-a-token");
    expect((await sessionsSeen({ bearer: token })).sessions).toHaveLength(1);
  });
});
