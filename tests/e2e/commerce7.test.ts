/**
 * The Commerce7 sandbox in a real browser (Debian's Chromium, over HTTPS):
 * the admin frames the app, the page hydrates in the admin's theme on every
 * page, three navigations and a save make no further Commerce7 call, and
 * refusals render their page in the browser too (not only on the server).
 * Accessibility is scanned in the frame, in dark mode.
 */
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seriousViolations, settled } from "../support/axe";
import { appFrame, chromiumAvailable, CONTEXT_OPTIONS, launchBrowser, screenshot } from "../support/browser";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { httpsAvailable, startHttpsApp, type HttpsApp } from "../support/https-app";

/** Generous: the machine's two cores are shared with the other suites. */
const WAIT = 15_000;

describe.runIf(chromiumAvailable() && httpsAvailable())("the Commerce7 sandbox admin in Chromium", () => {
  let site: HttpsApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  let counter = 0;

  beforeAll(async () => {
    site = await startHttpsApp({ env: COMMERCE7_TEST_ENV });
    sandbox = commerce7Sandbox(site.app);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  beforeEach(async () => {
    await sandbox.control({ reset: true, virtualTime: true });
    context = await browser.newContext(CONTEXT_OPTIONS);
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  async function expectDark(frame: Frame, where: string) {
    expect(await frame.locator("html").getAttribute("class"), where).toContain("p-theme-dark-experimental");
  }

  it("installs a test tenant, opens the app in dark mode, and three navigations and a save make no further account check", async () => {
    counter += 1;
    const tenantId = `browser-winery-${counter}`;
    const admin = `${site.appUrl}/sandbox/commerce7/admin?tenantId=${tenantId}&adminUITheme=dark`;
    await page.goto(admin);
    await page.getByRole("button", { name: "Install on test tenant" }).click();
    await page.getByText("activated", { exact: true }).waitFor({ timeout: WAIT });
    await page.waitForLoadState("networkidle", { timeout: WAIT });
    await sandbox.control({ resetCalls: true });

    await page.goto(admin); // the merchant opens the app from the admin
    const frame = await appFrame(page);
    await frame.getByText("Signed in as").waitFor({ timeout: WAIT });
    expect(await frame.getByText("Sam Sommelier").count()).toBe(1);
    await expectDark(frame, "dashboard");
    expect(await frame.getByText("Application Error").count()).toBe(0);
    expect((await sandbox.report()).accountUserCalls).toBe(1);
    // This browser kept the cookie: the handoff left no token for the page's script.
    await frame.waitForLoadState("networkidle", { timeout: WAIT });
    expect(await frame.evaluate(() => sessionStorage.getItem("app-session-token"))).toBeNull();
    await screenshot(page, "commerce7-dashboard-dark");
    expect(await seriousViolations(frame), "dashboard").toEqual([]);

    // Seed 003's round by clicking the app's tabs: settings (save), sessions, dashboard.
    await frame.getByRole("tab", { name: "Settings" }).click();
    const name = frame.getByLabel("Organization name");
    await name.waitFor({ timeout: WAIT });
    await expectDark(frame, "settings");
    await name.fill("Browser Round Winery");
    await frame.getByRole("button", { name: "Save" }).click();
    await frame.getByText("Settings saved").waitFor({ timeout: WAIT });
    await settled(frame);
    await screenshot(page, "commerce7-settings-saved-dark");
    expect(await seriousViolations(frame), "settings").toEqual([]);

    await frame.getByRole("tab", { name: "Sessions" }).click();
    await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
    await expectDark(frame, "sessions");
    expect(await seriousViolations(frame), "sessions").toEqual([]);

    await frame.getByRole("tab", { name: "Dashboard" }).click();
    await frame.getByText("Browser Round Winery").first().waitFor({ timeout: WAIT });
    await expectDark(frame, "dashboard again");
    expect((await sandbox.report()).accountUserCalls).toBe(1);
    // What a developer watching the sandbox admin sees: its counter follows, live.
    await expect.poll(() => page.getByTestId("account-user-calls").textContent(), { timeout: WAIT }).toBe("1");
  });

  it("a user Commerce7 refuses sees the friendly page with a support link, in the browser too", async () => {
    counter += 1;
    const tenantId = `browser-winery-${counter}`;
    await sandbox.activate(tenantId);
    await sandbox.control({ failure: { mode: "401" } });
    await page.goto(`${site.appUrl}/sandbox/commerce7/admin?tenantId=${tenantId}`);
    const frame = await appFrame(page);
    await frame.getByRole("heading", { name: "You don't have access to this app" }).waitFor({ timeout: WAIT });
    expect(await frame.getByRole("link", { name: "Contact support" }).getAttribute("href")).toBe(
      "https://documentation.commerce7.com",
    );
    expect(await frame.getByText("Application Error").count()).toBe(0);
    await screenshot(page, "commerce7-no-access");
  });
});
