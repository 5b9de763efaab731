/**
 * The app inside the Shopify sandbox admin, in Debian's Chromium over HTTPS:
 * install from the "App Store" (OAuth), the dashboard in the framed admin,
 * the admin's sidebar drawn from App Bridge's <ui-nav-menu>, settings saved,
 * the session inventory; a second admin login revokes the first, which is
 * told so on its next navigation. Every request after the entry is served
 * without a Shopify call. Accessibility is scanned in the frame.
 */
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../support/axe";
import { appFrame, chromiumAvailable, CONTEXT_OPTIONS, launchBrowser, screenshot } from "../support/browser";
import { httpsAvailable, startHttpsApp, type HttpsApp } from "../support/https-app";
import { platformCalls } from "../support/shopify";

const WAIT = 15_000;

describe.runIf(chromiumAvailable() && httpsAvailable())("the app in the Shopify sandbox admin (Chromium)", () => {
  let site: HttpsApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    site = await startHttpsApp({ env: { RATE_LIMIT_ENTRY_IP: "off", RATE_LIMIT_INSTALL_IP: "off" } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await site?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext(CONTEXT_OPTIONS);
    contexts.push(context);
    return context.newPage();
  }

  /** The merchant installs from the sandbox's "App Store" and approves; Shopify opens the app in the admin. */
  async function install(page: Page, store: string): Promise<Frame> {
    await page.goto(`${site.appUrl}/sandbox/shopify`);
    await page.getByLabel("Test shop").fill(store);
    await page.getByRole("button", { name: "Install on a test shop" }).click();
    await page.getByRole("button", { name: "Install app" }).click({ timeout: WAIT });
    await page.waitForURL(new RegExp(`/sandbox/shopify/admin/${store}$`), { timeout: WAIT });
    const frame = await appFrame(page);
    await frame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
    return frame;
  }

  /** A click in the admin's sidebar (the app's <ui-nav-menu>, as the admin draws it). */
  async function sidebar(page: Page, label: string) {
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: label, exact: true }).click({ timeout: WAIT });
  }

  it("install, dashboard in the framed admin, settings saved, the sessions page lists 1: no Shopify call after the entry", async () => {
    const store = `browser-shop-${Date.now().toString(36)}`;
    const page = await newPage();
    const frame = await install(page, store);

    // What the merchant sees: Polaris inside the admin, with the admin's own navigation.
    // Shopify's session token names the staff member by number only: no "staff member 1001", no "Log out" of ours.
    expect(await frame.getByText(/staff member/).count()).toBe(0);
    expect(await frame.getByRole("button", { name: "Log out" }).count()).toBe(0);
    expect(await frame.getByText(`${store}.myshopify.com`).first().isVisible()).toBe(true);
    expect(await frame.getByRole("tab").count()).toBe(0);
    const menu = await frame.locator("ui-nav-menu a").evaluateAll((links) =>
      links.map((a) => ({ href: a.getAttribute("href"), rel: a.getAttribute("rel"), text: a.textContent })),
    );
    expect(menu).toEqual([
      { href: "/app", rel: "home", text: "Dashboard" },
      { href: "/app/settings", rel: null, text: "Settings" },
      { href: "/app/sessions", rel: null, text: "Sessions" },
    ]);
    expect(await frame.locator("ui-nav-menu").isVisible()).toBe(false);
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Settings" }).waitFor({ timeout: WAIT });
    await screenshot(page, "shopify-dashboard");
    expect(await seriousViolations(frame), "dashboard").toEqual([]);
    const afterEntry = (await platformCalls(site.app)).total;

    await sidebar(page, "Settings");
    const name = frame.getByLabel("Organization name");
    await name.waitFor({ timeout: WAIT });
    expect(await page.getByRole("link", { name: "Settings" }).getAttribute("aria-current")).toBe("page");
    await name.fill("Harbor Goods");
    await frame.getByRole("button", { name: "Save" }).click();
    // The admin's own toast (App Bridge), outside the app's frame.
    await page.getByRole("status").getByText("Settings saved").waitFor({ timeout: WAIT });
    await screenshot(page, "shopify-settings-saved");
    expect(await seriousViolations(frame), "settings").toEqual([]);

    await sidebar(page, "Sessions");
    await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
    expect(await frame.locator("tbody tr").count()).toBe(1);
    await screenshot(page, "shopify-sessions");
    expect(await seriousViolations(frame), "sessions").toEqual([]);

    await sidebar(page, "Embedded Sessions"); // the app's name: its home
    await frame.getByRole("heading", { name: "Harbor Goods" }).waitFor({ timeout: WAIT });
    expect((await platformCalls(site.app)).total).toBe(afterEntry);
  });

  it("a second admin login revokes the first, which is shown 'revoked' on its next navigation", async () => {
    const store = `revoke-shop-${Date.now().toString(36)}`;
    const first = await newPage();
    const firstFrame = await install(first, store);

    // The same staff member in another browser: another admin login (sid).
    const second = await newPage();
    await second.goto(`${site.appUrl}/sandbox/shopify/admin/${store}?sid=second-browser`);
    const secondFrame = await appFrame(second);
    await secondFrame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
    await sidebar(second, "Sessions");
    await secondFrame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
    expect(await secondFrame.locator("tbody tr").count()).toBe(2);
    await secondFrame.getByRole("button", { name: /^Sign out Chrome/ }).click();
    await expect.poll(() => secondFrame.locator("tbody tr").count(), { timeout: WAIT }).toBe(1);
    await screenshot(second, "shopify-revoked-other");

    await sidebar(first, "Settings");
    await firstFrame.getByRole("heading", { name: "This session was ended from another device" }).waitFor({ timeout: WAIT });
    // The explanation page, with the way back into this shop's admin.
    await firstFrame.waitForURL(new RegExp(`/\\?reason=revoked&platform=shopify&shop=${store}\\.myshopify\\.com`), { timeout: WAIT });
    await firstFrame.getByRole("link", { name: "Open the app in your Shopify admin" }).waitFor({ timeout: WAIT });
    await screenshot(first, "shopify-revoked-shown");
    expect(await seriousViolations(firstFrame), "the explanation page").toEqual([]);
  });
});
