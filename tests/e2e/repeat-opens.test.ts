/**
 * Opening the app again and again from an admin, as merchants do, in
 * Chromium over HTTPS: one browser is one session per user (a new entry
 * replaces the one this browser's cookie carried; the Bearer case, Safari's,
 * is proven over HTTP in tests/http/repeat-entry.test.ts), "keep me signed
 * in" survives re-opening, the sandbox admins behave like the real ones
 * (each browser its own Shopify login, a reload keeps the page, a failure
 * mode applied while browsing does not re-enter the app), the Commerce7
 * entry waits at most about 8 s with progress shown, and inside Shopify the
 * app has no "Log out" of its own.
 */
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../support/axe";
import {
  appFrame,
  chromiumAvailable,
  CONTEXT_OPTIONS,
  launchBrowser,
  screenshot,
} from "../support/browser";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { httpsAvailable, startHttpsApp, type HttpsApp } from "../support/https-app";

const WAIT = 15_000;

async function sessionRows(frame: Frame): Promise<number> {
  await frame.getByRole("tab", { name: "Sessions" }).click();
  await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
  return frame.locator("tbody tr").count();
}

describe.runIf(chromiumAvailable() && httpsAvailable())("opening the app again (Commerce7 and Shopify sandboxes)", () => {
  let site: HttpsApp;
  let browser: Browser;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  const contexts: BrowserContext[] = [];
  let counter = 0;

  beforeAll(async () => {
    // The admins on another site than the app, as in production; the real entry timeout (5 s per attempt).
    site = await startHttpsApp({
      adminSite: "other",
      env: { ...COMMERCE7_TEST_ENV, COMMERCE7_API_TIMEOUT_MS: "5000", RATE_LIMIT_LOGOUT_IP: "off" },
    });
    sandbox = commerce7Sandbox(site.app);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await site?.close();
  });

  async function newPage(viewport = CONTEXT_OPTIONS.viewport ?? undefined): Promise<Page> {
    const context = await browser.newContext({ ...CONTEXT_OPTIONS, viewport });
    contexts.push(context);
    return context.newPage();
  }

  async function activatedTenant(): Promise<string> {
    counter += 1;
    const tenantId = `repeat-winery-${counter}-${Date.now().toString(36)}`;
    await sandbox.control({ reset: true, virtualTime: true });
    await sandbox.activate(tenantId);
    return tenantId;
  }

  const c7Admin = (tenantId: string, extra: Record<string, string> = {}) =>
    `${site.adminUrl}/sandbox/commerce7/admin?${new URLSearchParams({ tenantId, ...extra })}`;

  async function openC7(page: Page, tenantId: string): Promise<Frame> {
    await page.goto(c7Admin(tenantId));
    const frame = await appFrame(page);
    await frame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
    return frame;
  }

  it("Commerce7, cookie kept: three opens from the admin in one browser leave one session", async () => {
    const tenantId = await activatedTenant();
    const page = await newPage();
    await openC7(page, tenantId);
    await openC7(page, tenantId);
    const frame = await openC7(page, tenantId);
    expect(await sessionRows(frame)).toBe(1);
    await screenshot(page, "repeat-commerce7-one-session");
  });

  it("Commerce7: 'keep me signed in' chosen here survives opening the app again from the admin", async () => {
    const tenantId = await activatedTenant();
    const page = await newPage();
    let frame = await openC7(page, tenantId);
    await frame.getByRole("tab", { name: "Sessions" }).click();
    await frame.getByRole("button", { name: "Keep me signed in" }).click({ timeout: WAIT });
    await frame.getByText("Remembered", { exact: true }).waitFor({ timeout: WAIT });

    frame = await openC7(page, tenantId);
    // Nothing left to do on the dashboard, and the sessions page still says so.
    expect(await frame.getByText("Keep this device signed in (optional)").count()).toBe(0);
    expect(await sessionRows(frame)).toBe(1);
    expect(await frame.getByText("Remembered", { exact: true }).count()).toBe(1);
    expect(await frame.getByRole("button", { name: "Keep me signed in" }).count()).toBe(0);
    const cookies = await page.context().cookies(site.appUrl);
    const session = cookies.find((c) => c.name.endsWith("app_session"));
    // A persistent cookie (Max-Age), not one that dies with the browser.
    expect(session?.expires ?? -1).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
  });

  it("Commerce7 sandbox: a reload keeps the page; applying a failure mode does not re-enter; at 390 px the frame has the width", async () => {
    const tenantId = await activatedTenant();
    const page = await newPage({ width: 390, height: 844 });
    const frame = await openC7(page, tenantId);
    await frame.getByRole("tab", { name: "Sessions" }).click();
    await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
    await expect.poll(() => new URL(page.url()).searchParams.get("path"), { timeout: WAIT }).toBe("/app/sessions");
    const calls = (await sandbox.report()).accountUserCalls;

    // A failure while browsing: the admin applies it, the app stays where it is (no new entry).
    await page.getByLabel("Failure mode").selectOption("500");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("Sandbox API updated.").waitFor({ timeout: WAIT });
    expect(new URL(frame.url()).pathname).toBe("/app/sessions");
    expect((await sandbox.report()).accountUserCalls).toBe(calls);
    await frame.getByRole("tab", { name: "Settings" }).click();
    await frame.getByLabel("Organization name").waitFor({ timeout: WAIT });

    // The frame uses the phone's width (minus the card's border), not a sliver.
    const frameWidth = await page.locator("iframe").evaluate((f) => f.getBoundingClientRect().width);
    expect(frameWidth).toBeGreaterThan(340);
    await screenshot(page, "repeat-commerce7-sandbox-390");

    // A reload reopens the page the merchant was on.
    await sandbox.control({ reset: true, virtualTime: true });
    await expect.poll(() => new URL(page.url()).searchParams.get("path"), { timeout: WAIT }).toBe("/app/settings");
    await page.reload();
    const again = await appFrame(page);
    await again.getByLabel("Organization name").waitFor({ timeout: WAIT });
    expect(new URL(again.url()).pathname).toBe("/app/settings");
  });

  it("Commerce7 hanging: the entry gives up after about 8 s (two attempts, not three), with progress shown meanwhile, then offers Try again", async () => {
    const tenantId = await activatedTenant();
    const page = await newPage();
    await openC7(page, tenantId);
    await sandbox.control({ reset: true, virtualTime: true, failure: { mode: "hang" } });
    const before = (await sandbox.report()).accountUserCalls;
    // Opening again from the admin: the admin shows that the app is loading.
    await page.getByRole("button", { name: "Open the app as this user" }).click();
    await page.getByText("Opening the app…").waitFor({ timeout: WAIT });
    const frame = await appFrame(page);
    await frame.getByRole("heading", { name: "Commerce7 is not answering" }).waitFor({ timeout: 20_000 });
    expect(await frame.getByRole("button", { name: "Try again" }).isVisible()).toBe(true);
    // 5 s per attempt: within the 8 s cap only a second attempt starts (three would be 15.5 s).
    expect((await sandbox.report()).accountUserCalls - before).toBe(2);
    await screenshot(page, "repeat-commerce7-hang-capped");
  });

  describe("Shopify", () => {
    async function install(page: Page, store: string): Promise<Frame> {
      // The install is first-party (a top-level page of the app), as on Shopify; then Shopify opens its admin.
      await page.goto(`${site.appUrl}/sandbox/shopify`);
      await page.getByLabel("Test shop").fill(store);
      await page.getByRole("button", { name: "Install on a test shop" }).click();
      await page.getByRole("button", { name: "Install app" }).click({ timeout: WAIT });
      await page.waitForURL(`${site.adminUrl}/sandbox/shopify/admin/${store}`, { timeout: WAIT });
      const frame = await appFrame(page);
      await frame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
      return frame;
    }

    async function sidebar(page: Page, label: string) {
      await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: label, exact: true }).click({ timeout: WAIT });
    }

    it("each browser is its own admin login: a second browser adds a session instead of taking over the first's", async () => {
      const store = `repeat-shop-${Date.now().toString(36)}`;
      const first = await newPage();
      const firstFrame = await install(first, store);
      // No "Log out" of the app's own inside Shopify (Shopify keeps its staff signed in), and no id for a name.
      expect(await firstFrame.getByRole("button", { name: "Log out" }).count()).toBe(0);
      expect(await firstFrame.getByText(/staff member/).count()).toBe(0);

      const second = await newPage();
      await second.goto(`${site.adminUrl}/sandbox/shopify/admin/${store}`);
      const secondFrame = await appFrame(second);
      await secondFrame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
      await sidebar(second, "Sessions");
      await secondFrame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
      expect(await secondFrame.locator("tbody tr").count()).toBe(2);

      // The first browser still has its own session, and opening again there does not add one.
      await first.reload();
      const reopened = await appFrame(first);
      await reopened.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
      await sidebar(first, "Sessions");
      await reopened.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
      expect(await reopened.locator("tbody tr").count()).toBe(2);
      expect(await seriousViolations(reopened), "Shopify sessions").toEqual([]);
      await screenshot(first, "repeat-shopify-two-browsers");
    });

    it("sandbox admin: a reload keeps the app's page; at 390 px the app keeps the width", async () => {
      const store = `reload-shop-${Date.now().toString(36)}`;
      const page = await newPage();
      await install(page, store);
      await sidebar(page, "Settings");
      await expect.poll(() => new URL(page.url()).searchParams.get("path"), { timeout: WAIT }).toBe("/app/settings");
      await page.reload();
      const frame = await appFrame(page);
      await frame.getByLabel("Organization name").waitFor({ timeout: WAIT });
      expect(new URL(frame.url()).pathname).toBe("/app/settings");

      await page.setViewportSize({ width: 390, height: 844 });
      const width = await page.locator("iframe").evaluate((f) => f.getBoundingClientRect().width);
      expect(width).toBeGreaterThan(360);
      // Save is there and stays disabled until something changes.
      expect(await frame.getByRole("button", { name: "Save" }).isDisabled()).toBe(true);
      await screenshot(page, "repeat-shopify-settings-390");
    });
  });
});
