/**
 * Login CSRF at the embedded entry (decision 009). An attacker holding their
 * own valid entry URL (their shop's, their tenant's) gets a victim's browser
 * to open it outside the admin: a link from another site, a link in mail, a
 * cross-site fetch. The app must neither sign the victim in as the attacker
 * nor disturb the victim's own session. The admins' framed entry and the
 * app's own same-origin re-entries keep working.
 *
 * The headers are those Chromium, Firefox and Safari send (fetch metadata);
 * the Chromium suites in tests/e2e prove the real admins' frames still enter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { adminIframeSrc, BROWSER_UA, cookiesOf, local, storeOf, uniqueShop } from "../support/shopify";

/** How a browser labels each way of opening a URL (Sec-Fetch-Site, Sec-Fetch-Dest, Sec-Fetch-Mode). */
const CONTEXTS = {
  adminFrame: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate" },
  ownPage: { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate" },
  linkFromAnotherSite: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-User": "?1" },
  linkFromASubdomain: { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate" },
  pastedOrFromMail: { "Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-User": "?1" },
  crossSiteFetch: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "no-cors" },
  crossSiteImage: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors" },
  crossSiteObject: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "object", "Sec-Fetch-Mode": "navigate" },
} as const;
const REFUSED = ["linkFromAnotherSite", "linkFromASubdomain", "pastedOrFromMail", "crossSiteFetch", "crossSiteImage", "crossSiteObject"] as const;

function open(app: RunningApp, path: string, context: Record<string, string>, cookie?: string) {
  const headers: Record<string, string> = { "User-Agent": BROWSER_UA, Accept: "text/html,application/xhtml+xml", ...context };
  if (cookie) headers.Cookie = cookie;
  return fetch(local(app, path), { headers, redirect: "manual" });
}

describe("Shopify: an entry URL opened outside the admin does not sign the browser in", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** The victim, signed in to their own shop through their admin's frame. */
  async function victim() {
    const shop = uniqueShop("victim");
    const res = await open(app, await adminIframeSrc(app, storeOf(shop)), CONTEXTS.adminFrame);
    expect(res.status).toBe(200);
    return { shop, cookie: cookiesOf(res) };
  }

  it.each(REFUSED)("%s: 403 with a page saying why, no cookie, and the victim's own session untouched", async (context) => {
    const own = await victim();
    const attackers = await adminIframeSrc(app, storeOf(uniqueShop("attacker")));
    const res = await open(app, attackers, CONTEXTS[context], own.cookie);
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const page = await res.text();
    expect(page).toContain("Open the app from your Shopify admin");
    expect(page).not.toContain(storeOf(own.shop));
    // The victim's session is still theirs, for their shop.
    const dashboard = await open(app, "/app", CONTEXTS.ownPage, own.cookie);
    expect(dashboard.status).toBe(200);
  });

  it("without a session, the same: nothing is created", async () => {
    const res = await open(app, await adminIframeSrc(app, storeOf(uniqueShop("attacker"))), CONTEXTS.linkFromAnotherSite);
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("a cross-site data request (JSON) with the entry parameters starts no session either", async () => {
    const src = await adminIframeSrc(app, storeOf(uniqueShop("attacker")));
    const res = await fetch(local(app, src), { headers: { "User-Agent": BROWSER_UA, Accept: "application/json", ...CONTEXTS.crossSiteFetch } });
    expect([401, 403]).toContain(res.status);
    expect(res.headers.getSetCookie().join()).not.toMatch(/app_session=[^;]/);
  });

  it("the admin's frame (cross-site iframe), the app's own pages (same-origin) and clients without fetch metadata still enter", async () => {
    for (const context of [CONTEXTS.adminFrame, CONTEXTS.ownPage, {}]) {
      const res = await open(app, await adminIframeSrc(app, storeOf(uniqueShop("admin"))), context);
      expect(res.status, JSON.stringify(context)).toBe(200);
      expect(res.headers.getSetCookie().join()).toMatch(/app_session=/);
    }
  });
});

describe("Commerce7: an entry URL opened outside the admin does not sign the browser in", () => {
  let app: RunningApp;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  beforeAll(async () => {
    // Commerce7's account call gets room on a busy machine (the default test timeout is 100 ms).
    app = await startApp({ ...COMMERCE7_TEST_ENV, COMMERCE7_API_TIMEOUT_MS: "10000" });
    sandbox = commerce7Sandbox(app);
    for (const tenant of ["csrf-victim", "csrf-attacker"]) await sandbox.activate(tenant);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it.each(REFUSED)("%s: 403, no cookie, no call to Commerce7, the victim's session untouched", async (context) => {
    const own = await open(app, await sandbox.frameSrc({ tenantId: "csrf-victim" }), CONTEXTS.adminFrame);
    expect(own.status).toBe(200);
    const cookie = cookiesOf(own);
    const { accountUserCalls } = await sandbox.report();

    const res = await open(app, await sandbox.frameSrc({ tenantId: "csrf-attacker" }), CONTEXTS[context], cookie);
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.text()).toContain("Open the app from your Commerce7 admin");
    expect((await sandbox.report()).accountUserCalls).toBe(accountUserCalls); // refused before verifying

    const dashboard = await open(app, "/app", CONTEXTS.ownPage, cookie);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain("csrf-victim");
  });

  it("a cross-site data request (JSON) is refused as JSON", async () => {
    const src = await sandbox.frameSrc({ tenantId: "csrf-attacker" });
    const res = await fetch(local(app, src), { headers: { "User-Agent": BROWSER_UA, Accept: "application/json", ...CONTEXTS.crossSiteFetch } });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.json()).toMatchObject({ error: "entry_outside_admin", message: expect.stringContaining("Commerce7 admin") });
  });

  it("the admin's frame and clients without fetch metadata still enter", async () => {
    for (const context of [CONTEXTS.adminFrame, {}]) {
      const res = await open(app, await sandbox.frameSrc({ tenantId: "csrf-attacker" }), context);
      expect(res.status, JSON.stringify(context)).toBe(200);
      expect(res.headers.getSetCookie().join()).toMatch(/app_session=/);
    }
  });
});
