/**
 * The app as a third party, in a browser that refuses its cookies: the
 * sandbox admins on https://localhost:<port> frame the app on
 * https://127.0.0.1:<port> (another site), and the Chromium profile refuses
 * every cookie of the app inside them (launchWithoutThirdPartyCookies; see
 * tests/e2e/browser-cookies.test.ts for what it blocks). Shopify pages ride on
 * App Bridge's session token, Commerce7 pages on the token their entry's
 * one-time handoff gave them: navigating, saving settings, "keep me signed
 * in" and logging out all work, every app request after the entry carries a
 * Bearer token and no cookie, and the platforms are not called again.
 */
import type { BrowserContext, Frame, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations, settled } from "../support/axe";
import { appFrame, chromiumAvailable, launchWithoutThirdPartyCookies, screenshot } from "../support/browser";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { httpsAvailable, startHttpsApp, type HttpsApp } from "../support/https-app";
import { platformCalls } from "../support/shopify";

const WAIT = 15_000;

interface SeenRequest {
  url: string;
  method: string;
  authorization: string | null;
  cookie: string | null;
}

describe.runIf(chromiumAvailable() && httpsAvailable())("third-party cookies refused: the app framed from another site", () => {
  let site: HttpsApp;
  let profile: Awaited<ReturnType<typeof launchWithoutThirdPartyCookies>>;
  let context: BrowserContext;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  const seen: SeenRequest[] = [];

  beforeAll(async () => {
    site = await startHttpsApp({
      adminSite: "other",
      env: { ...COMMERCE7_TEST_ENV, RATE_LIMIT_INSTALL_IP: "off", RATE_LIMIT_LOGOUT_IP: "off" },
    });
    expect(new URL(site.adminUrl).hostname).not.toBe(new URL(site.appUrl).hostname);
    sandbox = commerce7Sandbox(site.app);
    profile = await launchWithoutThirdPartyCookies({ app: site.appUrl, embeddedIn: site.adminUrl });
    context = profile.context;
    // What the app's frames send: the headers as they left the browser.
    context.on("request", (request: Request) => {
      if (!request.url().startsWith(site.appUrl) || !request.frame().parentFrame()) return;
      request.allHeaders().then(
        (headers) =>
          seen.push({ url: request.url(), method: request.method(), authorization: headers.authorization ?? null, cookie: headers.cookie ?? null }),
        () => undefined, // the page closed meanwhile
      );
    });
  });
  afterAll(async () => {
    await profile?.close();
    await site?.close();
  });

  /** The framed app's data requests and form submissions since `from`. */
  function appRequestsSince(from: number): SeenRequest[] {
    return seen.slice(from).filter((r) => r.url.includes("_data=") || r.method === "POST");
  }

  function expectBearerOnly(requests: SeenRequest[]) {
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.authorization, `${request.method} ${request.url}`).toMatch(/^Bearer /);
      expect(request.cookie ?? "", `${request.method} ${request.url}`).not.toContain("app_session");
    }
  }

  async function sidebar(page: Page, label: string) {
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: label, exact: true }).click({ timeout: WAIT });
  }

  it("Shopify: install, then dashboard, settings saved and sessions in the cross-site admin, on App Bridge's token alone", async () => {
    const store = `cookieless-shop-${Date.now().toString(36)}`;
    const page = await context.newPage();
    // The install is first-party (a top-level page of the app), as on Shopify.
    await page.goto(`${site.appUrl}/sandbox/shopify`);
    await page.getByLabel("Test shop").fill(store);
    await page.getByRole("button", { name: "Install on a test shop" }).click();
    await page.getByRole("button", { name: "Install app" }).click({ timeout: WAIT });
    // Shopify opens the app in its admin: another site than the app.
    await page.waitForURL(`${site.adminUrl}/sandbox/shopify/admin/${store}`, { timeout: WAIT });
    const frame = await appFrame(page);
    await frame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
    expect(new URL(frame.url()).origin).toBe(site.appUrl);
    const afterEntry = (await platformCalls(site.app)).total;
    const from = seen.length;

    await sidebar(page, "Settings");
    await frame.getByLabel("Organization name").fill("Cookieless Goods");
    await frame.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").getByText("Settings saved").waitFor({ timeout: WAIT });
    await screenshot(page, "cookieless-shopify-settings-saved");

    await sidebar(page, "Sessions");
    await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
    expect(await frame.locator("tbody tr").count()).toBe(1);
    await sidebar(page, "Embedded Sessions");
    await frame.getByRole("heading", { name: "Cookieless Goods" }).waitFor({ timeout: WAIT });
    await screenshot(page, "cookieless-shopify-dashboard");

    expect((await platformCalls(site.app)).total).toBe(afterEntry);
    expectBearerOnly(appRequestsSince(from));
    await page.close();
  });

  describe("Commerce7", () => {
    let tenantId: string;
    const admin = () => `${site.adminUrl}/sandbox/commerce7/admin?tenantId=${tenantId}`;

    /**
     * The admin opens the app; its page redeems the entry's handoff code and,
     * its cookie refused, is handed the session's token. (This profile also
     * refuses the app storage in the frame, as it does cookies: the module
     * keeps the token in memory then.)
     */
    async function openApp(page: Page): Promise<Frame> {
      const handoff = page.waitForResponse((r) => r.url() === `${site.appUrl}/auth/session-handoff`, { timeout: WAIT });
      await page.goto(admin());
      const frame = await appFrame(page);
      await frame.getByText("Signed in as").waitFor({ timeout: WAIT });
      expect(new URL(frame.url()).origin).toBe(site.appUrl);
      const answer = await handoff;
      expect(answer.status()).toBe(200);
      expect(await answer.json()).toMatchObject({ credential: "bearer", token: expect.stringMatching(/^[\w-]{43}$/) });
      return frame;
    }

    /** The Bearer token on the app's latest data request or submission. */
    function latestBearer(): string | null {
      return appRequestsSince(0).at(-1)?.authorization ?? null;
    }

    beforeAll(async () => {
      tenantId = `cookieless-winery-${Date.now().toString(36)}`;
      await sandbox.control({ reset: true, virtualTime: true });
      const page = await context.newPage();
      await page.goto(admin());
      await page.getByRole("button", { name: "Install on test tenant" }).click();
      await page.getByText("activated", { exact: true }).waitFor({ timeout: WAIT });
      await page.close();
      await sandbox.control({ resetCalls: true });
    });

    it("entry, then three navigations, a save and 'keep me signed in' on the handed-off token: one account check in all", async () => {
      const page = await context.newPage();
      const frame = await openApp(page);
      expect((await sandbox.report()).accountUserCalls).toBe(1);
      const from = seen.length;

      await frame.getByRole("tab", { name: "Settings" }).click();
      await frame.getByLabel("Organization name").fill("Cookieless Cellars");
      await frame.getByRole("button", { name: "Save" }).click();
      await frame.getByText("Settings saved").waitFor({ timeout: WAIT });

      await frame.getByRole("tab", { name: "Sessions" }).click();
      await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
      const before = latestBearer();
      await frame.getByRole("button", { name: "Keep me signed in" }).click();
      await frame.getByText("This device will stay signed in for 30 days.").waitFor({ timeout: WAIT });
      await frame.getByText("Remembered", { exact: true }).waitFor({ timeout: WAIT });
      // The rotated token arrived in X-App-Session-Token and carries the requests since.
      await frame.getByRole("tab", { name: "Settings" }).click();
      await frame.getByLabel("Organization name").waitFor({ timeout: WAIT });
      expect(latestBearer()).toMatch(/^Bearer [\w-]{43}$/);
      expect(latestBearer()).not.toBe(before);
      await frame.getByRole("tab", { name: "Sessions" }).click();
      await frame.getByText("Remembered", { exact: true }).waitFor({ timeout: WAIT });
      await screenshot(page, "cookieless-commerce7-sessions");
      expect(await seriousViolations(frame), "sessions, framed cross-site").toEqual([]);

      await frame.getByRole("tab", { name: "Dashboard" }).click();
      await frame.getByRole("heading", { name: "Cookieless Cellars" }).waitFor({ timeout: WAIT });
      await screenshot(page, "cookieless-commerce7-dashboard");

      expect((await sandbox.report()).accountUserCalls).toBe(1);
      expectBearerOnly(appRequestsSince(from));
      await page.close();
    });

    it("logging out in tab A shows in tab B, which ends its own session too", async () => {
      const tabA = await context.newPage();
      const frameA = await openApp(tabA);
      // A clean slate: this user's earlier sessions (previous tests) signed out from here.
      await frameA.getByRole("tab", { name: "Sessions" }).click();
      // The sessions page is up (its table drawn) before its buttons are used.
      await frameA.locator("tbody tr").first().waitFor({ timeout: WAIT });
      await frameA.getByRole("button", { name: "Sign out all other sessions" }).click({ timeout: WAIT });
      await frameA.getByRole("button", { name: /^Sign out \d+ sessions?$/ }).click({ timeout: WAIT });
      await expect.poll(() => frameA.locator("tbody tr").count(), { timeout: WAIT }).toBe(1);
      const tabB = await context.newPage();
      const frameB = await openApp(tabB);
      await frameA.getByRole("tab", { name: "Dashboard" }).click();
      await frameA.getByRole("tab", { name: "Sessions" }).click();
      await expect.poll(() => frameA.locator("tbody tr").count(), { timeout: WAIT }).toBe(2);
      await frameB.getByRole("tab", { name: "Settings" }).click();
      await frameB.getByLabel("Organization name").waitFor({ timeout: WAIT });

      await frameA.getByRole("button", { name: "Log out" }).click();
      await frameA.waitForURL(/\/\?reason=logged_out/, { timeout: WAIT });
      await frameB.waitForURL(/\/\?reason=logged_out/, { timeout: 2000 });
      await frameB.getByRole("heading", { name: "You have logged out" }).waitFor({ timeout: WAIT });
      // (A background tab's cross-site frame is painted once the tab is in front.)
      await tabB.bringToFront();
      await settled(frameB);
      await screenshot(tabB, "cookieless-commerce7-logged-out-other-tab");

      // Neither tab's session lives on: a new entry is this user's only session.
      const tabC = await context.newPage();
      const frameC = await openApp(tabC);
      await frameC.getByRole("tab", { name: "Sessions" }).click();
      await frameC.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
      expect(await frameC.locator("tbody tr").count()).toBe(1);
      await Promise.all([tabA.close(), tabB.close(), tabC.close()]);
    });
  });
});
