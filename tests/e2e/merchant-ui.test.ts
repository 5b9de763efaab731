/**
 * The merchant's pages in a real browser (Debian's Chromium): dashboard,
 * settings saved with a toast, the session inventory, revocation from a
 * second browser, logout seen by another tab, the idle timeout, and an
 * accessibility scan. Sessions are created as an entry would create them;
 * the platform entries have their own browser tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromiumAvailable, launchBrowser, screenshot } from "../support/browser";
import { seriousViolations } from "../support/axe";
import { postgresAvailable } from "../support/databases";
import { signInDirect, startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";

const runnable = chromiumAvailable() && postgresAvailable();

describe.runIf(runnable)("merchant pages in Chromium", () => {
  let shared: SharedPostgresApp;
  let browser: Browser;

  beforeAll(async () => {
    shared = await startAppOnPostgres();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await shared?.close();
  });

  /** A browser profile signed in with a new session (the cookie a platform entry would set). */
  async function signedInContext(options: Parameters<typeof signInDirect>[1] = {}): Promise<{ context: BrowserContext; signIn: Awaited<ReturnType<typeof signInDirect>> }> {
    const signIn = await signInDirect(shared.store, { organizationName: "Harbor Winery", ...options });
    const context = await browser.newContext({ userAgent: options.userAgent });
    const [name, value] = [signIn.cookie.slice(0, signIn.cookie.indexOf("=")), signIn.cookie.slice(signIn.cookie.indexOf("=") + 1)];
    // Set as the app would over https; Chromium sends Secure cookies to http://localhost too.
    await context.addCookies([{ name, value, url: shared.app.url.replace("http:", "https:"), secure: true, httpOnly: true, sameSite: "None" }]);
    return { context, signIn };
  }

  async function open(page: Page, path: string) {
    await page.goto(`${shared.app.url}${path}`);
    await page.waitForLoadState("networkidle");
  }

  it("dashboard, settings saved with a toast, and the sessions list", async () => {
    const { context } = await signedInContext();
    const page = await context.newPage();
    await open(page, "/app");
    await expect.poll(() => page.getByRole("heading", { name: "Dashboard" }).isVisible()).toBe(true);
    expect(await page.getByText("Harbor Winery").first().isVisible()).toBe(true);
    expect(await page.getByText("Getting started").isVisible()).toBe(true);
    await screenshot(page, "ui-dashboard");

    await page.getByRole("tab", { name: "Settings" }).click();
    await page.waitForURL(/\/app\/settings$/);
    const field = page.getByLabel("Organization name");
    await field.fill("Harbor & Hill");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByText("Settings saved").isVisible(), { timeout: 5000 }).toBe(true);
    await screenshot(page, "ui-settings-saved");

    await field.fill("x");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByText("Enter at least 2 characters.").isVisible(), { timeout: 5000 }).toBe(true);

    await page.getByRole("tab", { name: "Sessions" }).click();
    await page.waitForURL(/\/app\/sessions$/);
    await expect.poll(() => page.getByText("This device", { exact: true }).isVisible()).toBe(true);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await screenshot(page, "ui-sessions");

    await page.getByRole("tab", { name: "Dashboard" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Harbor & Hill" }).isVisible()).toBe(true);
    await context.close();
  });

  it("a second browser revokes the first, which is told so on its next navigation", async () => {
    const first = await signedInContext({ userId: "revoker-test" });
    const second = await signedInContext({
      externalId: first.signIn.client.externalId,
      userId: "revoker-test",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    });
    const a = await first.context.newPage();
    await open(a, "/app");

    const b = await second.context.newPage();
    await open(b, "/app/sessions");
    expect(await b.locator("tbody tr").count()).toBe(2);
    await b.getByRole("button", { name: /Sign out Chrome|Sign out HeadlessChrome/ }).click();
    await expect.poll(() => b.locator("tbody tr").count(), { timeout: 5000 }).toBe(1);
    await screenshot(b, "ui-revoked-other");

    await a.getByRole("tab", { name: "Settings" }).click();
    await expect.poll(() => a.getByRole("heading", { name: "This session was ended from another device" }).isVisible(), { timeout: 5000 }).toBe(true);
    // The explanation page links back to the merchant's own admin.
    await a.waitForURL(/\/\?reason=revoked&platform=commerce7&tenant=/);
    expect(await a.getByRole("link", { name: "Open the app in your Commerce7 admin" }).isVisible()).toBe(true);
    await screenshot(a, "ui-revoked-shown");
    await first.context.close();
    await second.context.close();
  });

  it("logging out in one tab shows the logged-out page in the other within 2 s", async () => {
    const { context } = await signedInContext();
    const tabA = await context.newPage();
    const tabB = await context.newPage();
    await open(tabA, "/app");
    await open(tabB, "/app/settings");

    await tabA.getByRole("button", { name: "Log out" }).click();
    await tabA.waitForURL(/reason=logged_out/);
    await tabB.waitForURL(/reason=logged_out/, { timeout: 2000 });
    expect(await tabB.getByRole("heading", { name: "You have logged out" }).isVisible()).toBe(true);
    await screenshot(tabB, "ui-logged-out-other-tab");
    await context.close();
  });

  it("the main pages have no serious or critical accessibility violations", async () => {
    const { context } = await signedInContext();
    const page = await context.newPage();
    for (const path of ["/app", "/app/settings", "/app/sessions", "/?reason=expired"]) {
      await open(page, path);
      expect(await seriousViolations(page), path).toEqual([]);
    }
    await context.close();
  });
  it("a tab that regains focus shows a session ended elsewhere, without a click (seed 002)", async () => {
    const { context, signIn } = await signedInContext({ userId: "focus-test" });
    const page = await context.newPage();
    await open(page, "/app/settings");
    // Ended by an operator (or another device) while the merchant looks at another window.
    expect(await shared.store.revokeAppSessions({ clientId: signIn.client.id, sessionId: signIn.session.id }, new Date())).toBe(1);
    expect(page.url()).toMatch(/\/app\/settings$/);
    await page.waitForTimeout(1100); // the hook checks at most once a second
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await page.waitForURL(/\/\?reason=revoked/, { timeout: 5000 });
    await expect.poll(() => page.getByRole("heading", { name: "This session was ended from another device" }).isVisible(), { timeout: 5000 }).toBe(true);
    await context.close();
  });

  // Last: it moves the app's clock for the rest of this app process.
  it("after the idle timeout the merchant sees why they were signed out", async () => {
    const { context } = await signedInContext();
    const page = await context.newPage();
    await open(page, "/app");
    const moved = await fetch(`${shared.app.url}/sandbox/clock`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ advanceSeconds: 31 * 60 }),
    });
    expect(moved.status).toBe(200);
    await page.getByRole("tab", { name: "Sessions" }).click();
    await page.waitForURL(/\/\?reason=idle&platform=commerce7/);
    await expect.poll(() => page.getByRole("heading", { name: "You were signed out after inactivity" }).isVisible(), { timeout: 5000 }).toBe(true);
    expect(await page.getByText("no activity for 30 minutes").isVisible()).toBe(true);
    await screenshot(page, "ui-idle");
    await context.close();
  });
});
