/**
 * Commerce7 over real HTTP against the built app: activation, the entry
 * (verified once with GET /account/user), its refusals, zero Commerce7 calls
 * afterwards, deactivation. Commerce7 is the sandbox in the app's process;
 * its call log is the counter. The app runs on virtual time (the sandbox's
 * control): backoff, Retry-After and the sandbox's 300 ms latency move the
 * app's clock instead of passing, so "waited 2 s as told" is read from the
 * call log, not from a stopwatch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { basic, COMMERCE7_TEST_ENV, commerce7Sandbox, sessionTokenOf, TEST_INSTALLER } from "../support/commerce7";
import { expectNoSecrets, SecretRegistry } from "../support/secret-scan";
import { cookieAttributes, cookiePair } from "../support/sessions";

const LATENCY = 300;

let app: RunningApp;
let sandbox: ReturnType<typeof commerce7Sandbox>;
/** Every credential the tests handle; the last test looks for them in everything the app logged. */
const secrets = new SecretRegistry();
let tenantCounter = 0;

/** A tenant of its own for each test. */
function newTenant(): string {
  tenantCounter += 1;
  return `http-winery-${tenantCounter}`;
}

async function activatedTenant(): Promise<string> {
  const tenantId = newTenant();
  await sandbox.activate(tenantId);
  return tenantId;
}

/** Enter as the Commerce7 admin would and return the session the browser now holds. */
async function enteredSession(query: { adminUITheme?: string } = {}) {
  const tenantId = await activatedTenant();
  const { src, response } = await sandbox.enter({ tenantId, ...query });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get("set-cookie") ?? "";
  return { tenantId, src, response, setCookie, cookie: cookiePair(setCookie), token: sessionTokenOf(setCookie) };
}

function gapsBetweenCalls(report: Awaited<ReturnType<typeof sandbox.report>>): number[] {
  const times = report.calls.map((c) => Date.parse(c.at));
  return times.slice(1).map((t, i) => t - times[i]);
}

beforeAll(async () => {
  app = await startApp(COMMERCE7_TEST_ENV);
  sandbox = commerce7Sandbox(app, secrets);
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(async () => {
  await sandbox.control({ reset: true, virtualTime: true });
});

describe("activation: POST /install/commerce7", () => {
  it("a good activation is accepted, and the tenant's users can then open the app", async () => {
    const tenantId = newTenant();
    const res = await sandbox.activate(tenantId, { "some-setup-variable": "on" });
    expect(await res.json()).toEqual({ ok: true, tenantId, installed: true, alreadyInstalled: false });
    expect((await sandbox.enter({ tenantId })).response.status).toBe(200);
  });

  it("bad Basic auth is refused with 401 and WWW-Authenticate, and nothing is installed", async () => {
    const tenantId = newTenant();
    const body = { tenantId, user: { email: "a@b.example", firstName: "A", lastName: "B" } };
    for (const authorization of [basic(TEST_INSTALLER.user, "wrong"), basic("intruder", TEST_INSTALLER.password), ""]) {
      const res = await sandbox.installCall("install", body, authorization);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
      expect(await res.json()).toMatchObject({ error: "unauthorized" });
    }
    expect((await sandbox.enter({ tenantId })).response.status).toBe(403);
  });

  it("malformed bodies get 400 naming the field", async () => {
    const notJson = await sandbox.installCall("install", "{oops");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: "invalid_body" });

    const badEmail = await sandbox.installCall("install", {
      tenantId: newTenant(),
      user: { email: "not-an-email", firstName: "A", lastName: "B" },
    });
    expect(badEmail.status).toBe(400);
    const json = await badEmail.json();
    expect(json).toMatchObject({ error: "invalid_body", field: "user.email" });
    expect(json.message).toMatch(/^user\.email: /);

    const noTenant = await sandbox.installCall("install", { user: { email: "a@b.example", firstName: "A", lastName: "B" } });
    expect(await noTenant.json()).toMatchObject({ field: "tenantId" });
  });

  it("a body over the size limit is refused with 413", async () => {
    const res = await sandbox.installCall("install", { tenantId: newTenant(), padding: "x".repeat(100 * 1024) });
    expect(res.status).toBe(413);
  });

  it("repeating the same activation is harmless", async () => {
    const tenantId = newTenant();
    await sandbox.activate(tenantId);
    const again = await sandbox.activate(tenantId);
    expect(await again.json()).toMatchObject({ ok: true, alreadyInstalled: true });
    expect((await sandbox.enter({ tenantId })).response.status).toBe(200);
  });

  it("GET is not allowed (405)", async () => {
    const res = await fetch(`${app.url}/install/commerce7`);
    expect(res.status).toBe(405);
  });
});

describe("the entry: GET /app?tenantId=…&account=…&adminUITheme=…", () => {
  it("verifies the user with ONE GET /account/user (shared by the page's parallel loaders) and renders the app with the session cookie, no redirect", async () => {
    const { response, setCookie, token } = await enteredSession();
    const html = await response.text();
    expect(html).toContain("Sam Sommelier");
    expect(html).toContain("Estate"); // the organization name from the activation
    expect(response.headers.get("cache-control")).toBe("no-store");
    const report = await sandbox.report();
    expect(report.accountUserCalls).toBe(1);
    expect(report.calls[0]).toMatchObject({ endpoint: "/account/user", outcome: 200 });
    expect(setCookie).not.toBe("");
    // The session token never appears in the page (only in the HttpOnly cookie).
    expect(html).not.toContain(token);
  });

  it("the entry's real Set-Cookie carries every attribute of DESIGN.md", async () => {
    const { setCookie } = await enteredSession();
    const cookie = cookieAttributes(setCookie);
    expect(cookie.name).toBe("__Host-app_session");
    expect(cookie.value.length).toBeGreaterThan(43);
    expect(cookie.attrs.get("httponly")).toBe(true);
    expect(cookie.attrs.get("secure")).toBe(true);
    expect(cookie.attrs.get("samesite")).toBe("None");
    expect(cookie.attrs.get("partitioned")).toBe(true);
    expect(cookie.attrs.get("path")).toBe("/");
    expect(cookie.attrs.has("domain")).toBe(false);
    // no remember-me at the entry: the cookie dies with the browser
    expect(cookie.attrs.has("max-age")).toBe(false);
    expect(cookie.attrs.has("expires")).toBe(false);
  });

  it("pages in the Commerce7 iframe load commerce7.js (the sandbox's stand-in here)", async () => {
    const { response } = await enteredSession();
    expect(await response.text()).toMatch(/<script src="\/sandbox\/commerce7\/commerce7\.js"/);
    const script = await fetch(`${app.url}/sandbox/commerce7/commerce7.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
  });

  it("adminUITheme=dark is kept on the session and applied to every page", async () => {
    const { response, cookie } = await enteredSession({ adminUITheme: "dark" });
    expect(await response.text()).toMatch(/<html[^>]*class="p-theme-dark-experimental[ "]/);
    const later = await fetch(`${app.url}/app`, { headers: { Cookie: cookie } });
    expect(await later.text()).toMatch(/<html[^>]*class="p-theme-dark-experimental[ "]/);
    const light = await enteredSession({ adminUITheme: "light" });
    expect(await light.response.text()).toMatch(/<html[^>]*class="p-theme-light[ "]/);
  });

  it("a 401 from Commerce7 gives a friendly 401 page with a support link, and no session", async () => {
    const tenantId = await activatedTenant();
    await sandbox.control({ failure: { mode: "401" } });
    const { response } = await sandbox.enter({ tenantId });
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    const html = await response.text();
    expect(html).toContain("You don&#x27;t have access to this app");
    expect(html).toContain('href="https://documentation.commerce7.com"');
    expect((await sandbox.report()).accountUserCalls).toBe(1);

    const data = await sandbox.enter({ tenantId }, { Accept: "application/json" });
    expect(data.response.status).toBe(401);
    expect(await data.response.json()).toMatchObject({ error: "commerce7_no_access", supportUrl: "https://documentation.commerce7.com" });
  });

  it("a tenant that never activated the app is told so (403), after Commerce7 vouched for the user", async () => {
    const { response } = await sandbox.enter({ tenantId: newTenant() });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.text()).toContain("This app is not activated for your store");
    expect((await sandbox.report()).accountUserCalls).toBe(1);
  });

  it("Commerce7 down: 3 attempts, then a 503 page that says so (not a hang, not a 500)", async () => {
    const tenantId = await activatedTenant();
    await sandbox.control({ failure: { mode: "500" } });
    const { response } = await sandbox.enter({ tenantId });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("10");
    expect(await response.text()).toContain("Commerce7 is not answering");
    expect((await sandbox.report()).calls.map((c) => c.outcome)).toEqual([500, 500, 500]);
  });

  it("Commerce7 hanging: each attempt is abandoned at the timeout, then 503", async () => {
    const tenantId = await activatedTenant();
    await sandbox.control({ failure: { mode: "hang" } });
    const { response } = await sandbox.enter({ tenantId }, { Accept: "application/json" });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "commerce7_unavailable" });
    expect((await sandbox.report()).calls.map((c) => c.outcome)).toEqual(["hang", "hang", "hang"]);
  });

  it("429: waits as Retry-After says, then enters", async () => {
    const tenantId = await activatedTenant();
    await sandbox.control({ failure: { mode: "429", times: 1, retryAfterSeconds: 2 } });
    const { response } = await sandbox.enter({ tenantId });
    expect(response.status).toBe(200);
    const report = await sandbox.report();
    expect(report.calls.map((c) => c.outcome)).toEqual([429, 200]);
    const [gap] = gapsBetweenCalls(report);
    expect(gap).toBeGreaterThanOrEqual(LATENCY + 2_000);
    expect(gap).toBeLessThan(LATENCY + 2_000 + 1_000);
  });

  it("429 asking for longer than COMMERCE7_MAX_RETRY_AFTER_SECONDS: 503 at once, passing the wait on", async () => {
    const tenantId = await activatedTenant();
    await sandbox.control({ failure: { mode: "429", retryAfterSeconds: 60 } });
    const { response } = await sandbox.enter({ tenantId });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(await response.text()).toContain("Commerce7 is busy");
    expect((await sandbox.report()).accountUserCalls).toBe(1);
  });

  it("an entry from a browser that holds a session gives a new token and ends the old session, for the same tenant and for another", async () => {
    const first = await enteredSession();
    const data = (cookie: string) => fetch(`${app.url}/app?_data=routes%2Fapp._index`, { headers: { Cookie: cookie } });

    // The admin opens the app again in the same browser: a new token; the old cookie is dead.
    const again = await sandbox.enter({ tenantId: first.tenantId }, { Accept: "text/html", Cookie: first.cookie });
    expect(again.response.status).toBe(200);
    const againSetCookie = again.response.headers.get("set-cookie") ?? "";
    expect(sessionTokenOf(againSetCookie)).not.toBe(first.token);
    expect((await data(first.cookie)).status).toBe(401);
    expect((await data(cookiePair(againSetCookie))).status).toBe(200);

    // The same browser enters another tenant (a privilege change): a new token; the first tenant's session ends.
    const other = await activatedTenant();
    const switched = await sandbox.enter({ tenantId: other }, { Accept: "text/html", Cookie: cookiePair(againSetCookie) });
    expect(switched.response.status).toBe(200);
    const switchedSetCookie = switched.response.headers.get("set-cookie") ?? "";
    expect(sessionTokenOf(switchedSetCookie)).not.toBe(sessionTokenOf(againSetCookie));
    expect((await data(cookiePair(againSetCookie))).status).toBe(401);
    const layout = await fetch(`${app.url}/app/settings?_data=routes%2Fapp.settings`, { headers: { Cookie: cookiePair(switchedSetCookie) } });
    expect(await layout.json()).toMatchObject({ organizationName: `${other} Estate` });
  });

  it("an entry link with a malformed tenantId or account is a 400 page, without calling Commerce7", async () => {
    const tenantId = await activatedTenant();
    const src = await sandbox.frameSrc({ tenantId });
    for (const [name, link] of [
      ["tenantId", src.replace(`tenantId=${tenantId}`, `tenantId=${encodeURIComponent("not a tenant")}`)],
      ["account", `/app?tenantId=${tenantId}&account=not-a-jwt`],
    ]) {
      const res = await fetch(`${app.url}${link}`, { headers: { Accept: "application/json" } });
      expect(res.status, name).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_entry", message: expect.stringContaining(name) });
    }
    const page = await fetch(`${app.url}/app?tenantId=${tenantId}&account=not-a-jwt`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("This link cannot open the app");
    expect((await sandbox.report()).accountUserCalls).toBe(0);
  });
});

describe("after the entry, zero Commerce7 calls", () => {
  /**
   * Seed 003's round (dashboard -> settings -> save -> dashboard) as the
   * browser sends it: pages, Remix data requests, the save (a Remix form
   * POST with the CSRF token), the revalidations that follow, also with the
   * entry parameters still in the page's URL; and the same with the Bearer
   * token, as a browser refusing third-party cookies will. Add steps here
   * as pages land.
   */
  type Entry = { src: string; csrf: string };
  type Step = {
    name: string;
    path: (entry: Entry) => string;
    accept?: string;
    form?: (entry: Entry) => Record<string, string>;
  };
  const ROUND: Step[] = [
    { name: "dashboard page", path: () => "/app", accept: "text/html" },
    { name: "revalidation of the entry URL", path: ({ src }) => `${src}&_data=routes%2Fapp._index` },
    { name: "to settings: layout data", path: () => "/app/settings?_data=routes%2Fapp" },
    { name: "to settings: page data", path: () => "/app/settings?_data=routes%2Fapp.settings" },
    {
      name: "save",
      path: () => "/app/settings?_data=routes%2Fapp.settings",
      form: ({ csrf }) => ({ csrf, organizationName: "Round Trip Winery" }),
    },
    { name: "revalidation after the save", path: () => "/app/settings?_data=routes%2Fapp" },
    { name: "back to the dashboard: data", path: () => "/app?_data=routes%2Fapp._index" },
    { name: "dashboard page again", path: () => "/app", accept: "text/html" },
    { name: "settings page (document)", path: () => "/app/settings", accept: "text/html" },
  ];

  async function walk(entry: Entry, credential: Record<string, string>) {
    for (const step of ROUND) {
      const headers: Record<string, string> = { ...credential, ...(step.accept ? { Accept: step.accept } : {}) };
      const init: RequestInit = { headers, redirect: "manual" };
      if (step.form) {
        init.method = "POST";
        init.body = new URLSearchParams(step.form(entry));
        headers["Sec-Fetch-Site"] = "same-origin";
      }
      const res = await fetch(`${app.url}${step.path(entry)}`, init);
      expect(res.status, step.name).toBe(200);
      await res.arrayBuffer();
    }
  }

  async function entered() {
    const session = await enteredSession();
    const layout = await fetch(`${app.url}/app?_data=routes%2Fapp`, { headers: { Cookie: session.cookie } });
    const { csrfToken } = (await layout.json()) as { csrfToken: string };
    return { ...session, entry: { src: session.src, csrf: csrfToken } };
  }

  it("with the cookie: dashboard -> settings -> save -> dashboard never calls Commerce7", async () => {
    const { entry, cookie } = await entered();
    expect((await sandbox.report()).accountUserCalls).toBe(1);
    await walk(entry, { Cookie: cookie });
    expect((await sandbox.report()).accountUserCalls).toBe(1);
    const dashboard = await fetch(`${app.url}/app`, { headers: { Cookie: cookie } });
    expect(await dashboard.text()).toContain("Round Trip Winery");
  });

  it("with the Bearer token: the same round never calls Commerce7", async () => {
    const { entry, token } = await entered();
    await walk(entry, { Authorization: `Bearer ${token}` });
    expect((await sandbox.report()).accountUserCalls).toBe(1);
  });
});

describe("revalidations that keep the entry parameters are not entries", () => {
  // Its own app: two entries per tenant a minute, and the hijack policy at its strictest.
  let strict: RunningApp;
  let strictSandbox: ReturnType<typeof commerce7Sandbox>;
  beforeAll(async () => {
    strict = await startApp({ ...COMMERCE7_TEST_ENV, RATE_LIMIT_ENTRY_CLIENT: "2/1m", SESSION_BINDING: "strict" });
    strictSandbox = commerce7Sandbox(strict);
  });
  afterAll(async () => {
    await strict?.stop();
  });
  beforeEach(async () => {
    await strictSandbox.control({ reset: true, virtualTime: true });
  });

  async function enterStrict(tenantId: string) {
    const { src, response } = await strictSandbox.enter({ tenantId }, { Accept: "text/html", "User-Agent": "Merchant Browser/1.0" });
    expect(response.status).toBe(200);
    return { src, cookie: cookiePair(response.headers.get("set-cookie") ?? "") };
  }

  it("do not count against the entry rate limit, and call Commerce7 no more", async () => {
    const tenantId = "revalidating-winery";
    await strictSandbox.activate(tenantId);
    const { src, cookie } = await enterStrict(tenantId);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${strict.url}${src}&_data=routes%2Fapp._index`, { headers: { Cookie: cookie, "User-Agent": "Merchant Browser/1.0" } });
      expect(res.status, `revalidation ${i + 1}`).toBe(200);
    }
    expect((await strictSandbox.report()).accountUserCalls).toBe(1);
    // The limit is live: a second real entry passes, a third is refused.
    expect((await strictSandbox.enter({ tenantId })).response.status).toBe(200);
    expect((await strictSandbox.enter({ tenantId })).response.status).toBe(429);
  });

  it("still pass the hijack policy: a stolen cookie with a forged account token in the URL gets no data", async () => {
    const tenantId = "hijacked-winery";
    await strictSandbox.activate(tenantId);
    const { src, cookie } = await enterStrict(tenantId);
    // Another browser replays the cookie and the page URL, with an account token it cannot sign.
    const url = new URL(src, strict.url);
    const account = url.searchParams.get("account") as string;
    url.searchParams.set("account", `${account.slice(0, -2)}${account.endsWith("AA") ? "BB" : "AA"}`);
    url.searchParams.set("_data", "routes/app._index");
    const stolen = await fetch(url, { headers: { Cookie: cookie, "User-Agent": "Attacker/1.0" } });
    expect(stolen.status).toBe(401);
    // Strict mode ended the session at once; the forged entry was then checked with Commerce7, and failed.
    expect((await strictSandbox.report()).accountUserCalls).toBe(2);
    const owner = await fetch(`${strict.url}/app?_data=routes%2Fapp._index`, { headers: { Cookie: cookie, "User-Agent": "Merchant Browser/1.0" } });
    expect(owner.status).toBe(401);
  });
});

describe("deactivation: POST /uninstall/commerce7", () => {
  it("ends the tenant's sessions at once and the next entry says the app is not activated", async () => {
    const { tenantId, cookie } = await enteredSession();
    const res = await sandbox.installCall("uninstall", { tenantId, user: { id: "c7-user-owner" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, uninstalled: true, appSessionsRemoved: 1 });

    const after = await fetch(`${app.url}/app`, { headers: { Cookie: cookie, Accept: "application/json" } });
    expect(after.status).toBe(401);
    expect((await sandbox.enter({ tenantId })).response.status).toBe(403);

    const again = await sandbox.installCall("uninstall", { tenantId });
    expect(again.status).toBe(200);
  });

  it("bad Basic auth is refused with 401", async () => {
    const res = await sandbox.installCall("uninstall", { tenantId: "x" }, basic("x", "y"));
    expect(res.status).toBe(401);
  });

  it("a cross-site browser POST riding cached Basic credentials is refused 403 and deactivates nothing, with or without ?_data", async () => {
    // A page on another site can make the browser POST text/plain (no preflight)
    // with the Basic pair it cached for this origin; the browser then says where
    // the request came from (Origin, Sec-Fetch-Site). Commerce7's own calls carry neither.
    const { tenantId, cookie } = await enteredSession();
    const attempts: Array<Record<string, string>> = [
      { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
      { Origin: "https://evil.example" },
      { "Sec-Fetch-Site": "cross-site" },
      { "Sec-Fetch-Site": "same-site", Origin: "https://sub.app.test.example" },
      { Origin: "null" },
    ];
    for (const path of ["/uninstall/commerce7", "/uninstall/commerce7?_data=routes%2Funinstall.commerce7", "/install/commerce7?_data=routes%2Finstall.commerce7"]) {
      for (const headers of attempts) {
        const res = await fetch(`${app.url}${path}`, {
          method: "POST",
          headers: { ...headers, Authorization: basic(TEST_INSTALLER.user, TEST_INSTALLER.password), "Content-Type": "text/plain" },
          body: JSON.stringify({ tenantId }),
        });
        expect(res.status, `${path} with ${JSON.stringify(headers)}`).toBe(403);
      }
    }
    // Still installed: the merchant's session still opens the dashboard.
    const after = await fetch(`${app.url}/app?_data=routes%2Fapp._index`, { headers: { Cookie: cookie } });
    expect(after.status).toBe(200);
  });
});

describe("the sandbox admin", () => {
  it("installs on a test tenant with the real activation POST, then frames the app", async () => {
    const tenantId = newTenant();
    const form = new URLSearchParams({ intent: "install" });
    const res = await fetch(`${app.url}/sandbox/commerce7/admin?tenantId=${tenantId}&_data=routes%2Fsandbox.commerce7.admin`, {
      method: "POST",
      body: form,
    });
    expect(await res.json()).toMatchObject({ ok: true, message: expect.stringContaining("POST /install/commerce7 answered 200") });
    expect((await sandbox.enter({ tenantId })).response.status).toBe(200);
  });
});

describe("in production", () => {
  let prod: RunningApp;
  beforeAll(async () => {
    prod = await startApp({ NODE_ENV: "production", APP_URL: "https://app.example" });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  it("the Commerce7 sandbox does not exist", async () => {
    for (const path of [
      "/sandbox/commerce7/admin",
      "/sandbox/commerce7/control",
      "/sandbox/commerce7/api/v1/account/user",
      "/sandbox/commerce7/commerce7.js",
    ]) {
      const res = await fetch(`${prod.url}${path}`, { headers: { Accept: "application/json" } });
      expect(res.status, path).toBe(404);
    }
  });

  it("without Commerce7 settings, the install URL says Commerce7 is not configured", async () => {
    const res = await fetch(`${prod.url}/install/commerce7`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_configured" });
  });
});

describe("logs", () => {
  it("no account token, session token or cookie, or install credential appears in anything the app logged above", () => {
    expect(app.output()).toContain("commerce7.entry"); // the entries above were logged
    expectNoSecrets(secrets, { "server output": app.output() });
  });
});
