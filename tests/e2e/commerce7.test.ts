/**
 * The Commerce7 sandbox in a real browser (Debian's Chromium): the admin
 * frames the app, the page hydrates in the admin's theme, and refusals render
 * their page in the browser too (not only on the server).
 */
import type { Browser, Frame, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { chromiumAvailable, launchBrowser } from "../support/browser";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";

/** Generous: the machine's two cores are shared with the other suites. */
const WAIT = 15_000;

describe.runIf(chromiumAvailable())("the Commerce7 sandbox admin in Chromium", () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  let counter = 0;

  beforeAll(async () => {
    app = await startApp(COMMERCE7_TEST_ENV);
    sandbox = commerce7Sandbox(app);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    await sandbox.control({ reset: true, virtualTime: true });
    page = await browser.newPage();
  });
  afterEach(async () => {
    await page?.close();
  });

  async function appFrame(): Promise<Frame> {
    await page.waitForLoadState("networkidle", { timeout: WAIT });
    const frame = page.frames().find((f) => new URL(f.url()).pathname === "/app");
    if (!frame) throw new Error("the admin does not frame /app");
    await frame.waitForLoadState("networkidle", { timeout: WAIT });
    return frame;
  }

  it("installs a test tenant, opens the app in its frame in dark mode, with one account check", async () => {
    counter += 1;
    const tenantId = `browser-winery-${counter}`;
    const admin = `${app.url}/sandbox/commerce7/admin?tenantId=${tenantId}&adminUITheme=dark`;
    await page.goto(admin);
    await page.getByRole("button", { name: "Install on test tenant" }).click();
    await page.getByText("activated", { exact: true }).waitFor({ timeout: WAIT });
    await page.waitForLoadState("networkidle", { timeout: WAIT });
    await sandbox.control({ resetCalls: true });

    await page.goto(admin); // the merchant opens the app from the admin
    const frame = await appFrame();
    await frame.getByText("Signed in as").waitFor({ timeout: WAIT });
    expect(await frame.getByText("Sam Sommelier").count()).toBe(1);
    expect(await frame.locator("html").getAttribute("class")).toContain("p-theme-dark-experimental");
    expect(await frame.getByText("Application Error").count()).toBe(0);
    expect((await sandbox.report()).accountUserCalls).toBe(1);

    // Seed 003's round: dashboard -> settings -> save -> dashboard, with no further Commerce7 call.
    await frame.getByRole("tab", { name: "Settings" }).click();
    const name = frame.getByLabel("Organization name");
    await name.waitFor({ timeout: WAIT });
    await name.fill("Browser Round Winery");
    await frame.getByRole("button", { name: "Save" }).click();
    await frame.getByText("Settings saved").waitFor({ timeout: WAIT });
    await frame.getByRole("tab", { name: "Dashboard" }).click();
    await frame.getByText("Browser Round Winery").first().waitFor({ timeout: WAIT });
    expect(await frame.locator("html").getAttribute("class")).toContain("p-theme-dark-experimental");
    expect((await sandbox.report()).accountUserCalls).toBe(1);
  });

  it("a user Commerce7 refuses sees the friendly page with a support link, in the browser too", async () => {
    counter += 1;
    const tenantId = `browser-winery-${counter}`;
    await sandbox.activate(tenantId);
    await sandbox.control({ failure: { mode: "401" } });
    await page.goto(`${app.url}/sandbox/commerce7/admin?tenantId=${tenantId}`);
    const frame = await appFrame();
    await frame.getByRole("heading", { name: "You don't have access to this app" }).waitFor({ timeout: WAIT });
    expect(await frame.getByRole("link", { name: "Contact support" }).getAttribute("href")).toBe(
      "https://documentation.commerce7.com",
    );
    expect(await frame.getByText("Application Error").count()).toBe(0);
  });
});
