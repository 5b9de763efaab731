/**
 * What each admin gets, over real HTTP against the built app: Shopify pages
 * load App Bridge and declare their navigation in <ui-nav-menu> (no tabs of
 * their own); Commerce7 pages keep the app's Polaris tabs and commerce7.js.
 * A Shopify session ends at logout even when only App Bridge's token names
 * it; an ended session's explanation page links back to its admin and keeps
 * a dark admin's theme; the sandbox admins can be put on another site
 * (SANDBOX_ADMIN_URL), which production refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, startAppExpectingFailure, TEST_APP_ENV, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { cookiePair } from "../support/sessions";
import { adminIframeSrc, BROWSER_UA, browserGet, cookiesOf, sandboxSessionToken, storeOf, uniqueShop } from "../support/shopify";

let app: RunningApp;
let sandbox: ReturnType<typeof commerce7Sandbox>;

beforeAll(async () => {
  app = await startApp(COMMERCE7_TEST_ENV);
  sandbox = commerce7Sandbox(app);
  // The sandbox's 300 ms of Commerce7 latency move the app's clock instead of passing.
  await sandbox.control({ reset: true, virtualTime: true });
});
afterAll(async () => {
  await app?.stop();
});

/** The Shopify admin opens the app for one admin login (sid). */
async function openShopify(shop: string, sid: string) {
  const res = await browserGet(app, await adminIframeSrc(app, storeOf(shop), { sid }));
  expect(res.status).toBe(200);
  return { html: await res.text(), cookie: cookiesOf(res) };
}

async function openCommerce7(tenantId: string, adminUITheme = "light") {
  await sandbox.activate(tenantId);
  const { response } = await sandbox.enter({ tenantId, adminUITheme });
  expect(response.status).toBe(200);
  return { html: await response.text(), cookie: cookiePair(response.headers.get("set-cookie") ?? "") };
}

describe("each admin's look", () => {
  it("Shopify pages load App Bridge first and hand their navigation to the admin (<ui-nav-menu>, home first), without tabs of their own", async () => {
    const { html } = await openShopify(uniqueShop("look"), "look-sid");
    // App Bridge is the first script on the page.
    expect(/<script[^>]*>/.exec(html)?.[0]).toMatch(/src="[^"]*\/sandbox\/shopify\/app-bridge\.js"/);
    const menu = /<ui-nav-menu>(.*?)<\/ui-nav-menu>/s.exec(html)?.[1] ?? "";
    const links = [...menu.matchAll(/<a ([^>]*)>([^<]*)<\/a>/g)].map((m) => ({ attrs: m[1], text: m[2] }));
    expect(links.map((l) => l.text)).toEqual(["Dashboard", "Settings", "Sessions"]);
    expect(links[0].attrs).toContain('rel="home"');
    expect(links[0].attrs).toContain('href="/app"');
    expect(html).not.toContain('role="tab"');
    // Shopify keeps its staff signed in: no "keep me signed in" here.
    expect(html).not.toContain("Keep this device signed in");
  });

  it("a Shopify session cannot be turned into a 30-day one (the admin renews it at every visit)", async () => {
    const { cookie } = await openShopify(uniqueShop("remember"), "remember-sid");
    const layout = (await (await browserGet(app, "/app/sessions?_data=routes%2Fapp", { cookie, accept: "application/json" })).json()) as { csrfToken: string };
    const res = await fetch(`${app.url}/app/sessions?_data=routes%2Fapp.sessions`, {
      method: "POST",
      headers: { Cookie: cookie, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "remember_me", csrf: layout.csrfToken }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("Commerce7 pages keep the app's Polaris tabs and load commerce7.js, with no App Bridge menu", async () => {
    const { html } = await openCommerce7("look-winery");
    expect(html).toContain('role="tab"');
    expect(html).toContain("/sandbox/commerce7/commerce7.js");
    expect(html).not.toContain("<ui-nav-menu");
    expect(html).not.toContain("app-bridge.js");
  });
});

describe("ending sessions", () => {
  it("logging out with only App Bridge's session token ends that Shopify session", async () => {
    const shop = uniqueShop("logout");
    const { cookie } = await openShopify(shop, "logout-sid");
    const token = await sandboxSessionToken(app, shop, { sid: "logout-sid" });
    const res = await fetch(`${app.url}/logout`, { method: "POST", headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
    expect(res.status).toBe(200);
    // The entry's cookie pointed at the same session: it is gone.
    expect((await browserGet(app, "/app?_data=routes%2Fapp", { cookie, accept: "application/json" })).status).toBe(401);
  });

  it("a revoked Shopify session's refusal links back to its shop's admin", async () => {
    const shop = uniqueShop("revoked");
    await openShopify(shop, "first-login");
    const second = await openShopify(shop, "second-login");
    const layout = (await (await browserGet(app, "/app/sessions?_data=routes%2Fapp", { cookie: second.cookie, accept: "application/json" })).json()) as { csrfToken: string };
    const revoke = await fetch(`${app.url}/app/sessions?_data=routes%2Fapp.sessions`, {
      method: "POST",
      headers: { Cookie: second.cookie, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "revoke_others", csrf: layout.csrfToken }),
    });
    expect(await revoke.json()).toEqual({ message: "1 other session signed out." });

    const token = await sandboxSessionToken(app, shop, { sid: "first-login" });
    const refused = await browserGet(app, "/app/settings?_data=routes%2Fapp.settings", { bearer: token, accept: "application/json" });
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { error: string; reasonUrl: string };
    expect(body.error).toBe("revoked");
    expect(body.reasonUrl).toBe(`/?${new URLSearchParams({ reason: "revoked", platform: "shopify", shop })}`);
    const landing = await (await fetch(`${app.url}${body.reasonUrl}`)).text();
    expect(landing).toContain(`/sandbox/shopify/admin/${storeOf(shop)}`);
  });

  it("a dark Commerce7 admin's explanation page is dark too", async () => {
    const { cookie } = await openCommerce7("dark-winery", "dark");
    const layout = (await (await fetch(`${app.url}/app?_data=routes%2Fapp`, { headers: { Cookie: cookie } })).json()) as { loggedOutUrl: string };
    expect(layout.loggedOutUrl).toBe("/?reason=logged_out&platform=commerce7&tenant=dark-winery&theme=dark");
    const landing = await (await fetch(`${app.url}${layout.loggedOutUrl}`)).text();
    expect(landing).toMatch(/<html[^>]*class="p-theme-dark-experimental[ "]/);
    const light = await (await fetch(`${app.url}/?reason=logged_out`)).text();
    expect(light).toMatch(/<html[^>]*class="p-theme-light[ "]/);
  });
});

describe("SANDBOX_ADMIN_URL: the sandbox admins on another site", () => {
  it("puts the sandbox's Shopify pages there and lets it frame the app", async () => {
    const other = await startApp({ SANDBOX_ADMIN_URL: "https://admin.sandbox.test" });
    try {
      const shop = uniqueShop("elsewhere");
      const install = await fetch(`${other.url}/install/shopify?shop=${shop}`, { redirect: "manual", headers: { "User-Agent": BROWSER_UA } });
      expect(install.status).toBe(302);
      expect(install.headers.get("location")).toMatch(/^https:\/\/admin\.sandbox\.test\/sandbox\/shopify\/authorize\?/);
      const page = await fetch(`${other.url}/?reason=expired&platform=commerce7&tenant=far-winery`);
      expect(await page.text()).toContain("https://admin.sandbox.test/sandbox/commerce7/admin?tenantId=far-winery");
      const admin = await fetch(`${other.url}/sandbox/commerce7/admin?tenantId=far-winery`);
      expect(admin.headers.get("content-security-policy")).toContain("https://admin.sandbox.test");
      // The Commerce7 sandbox admin frames the app where the Dev Center would: APP_URL.
      expect(await admin.text()).toContain(`src="${TEST_APP_ENV.APP_URL}/app?tenantId=far-winery`);
    } finally {
      await other.stop();
    }
  });

  it("is refused in production, by name", async () => {
    const { code, output } = await startAppExpectingFailure({
      ...TEST_APP_ENV,
      NODE_ENV: "production",
      SANDBOX_ADMIN_URL: "https://admin.sandbox.test",
    });
    expect(code).not.toBe(0);
    expect(output).toContain("SANDBOX_ADMIN_URL");
  });
});
