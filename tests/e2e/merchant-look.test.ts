/**
 * What a merchant sees, in the Commerce7 sandbox admin (Chromium over
 * HTTPS), in BOTH themes and at BOTH widths (1280x800, 390x844): every page
 * and state, error pages included, is scanned by axe with the color-contrast
 * rule on; every page's last row and last button are visible inside the
 * frame (the frame follows the content's height); the sessions table never
 * scrolls sideways; and a screenshot of each is saved under test-results/
 * (`look-<theme>-<width>-<page>.png`).
 *
 * These tests catch the CLASS of defect: a new page or state added to
 * `visit()` below is held to the same contrast and clipping rules.
 */
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations, settled } from "../support/axe";
import { appFrame, chromiumAvailable, CONTEXT_OPTIONS, launchBrowser, screenshot } from "../support/browser";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { httpsAvailable, startHttpsApp, type HttpsApp } from "../support/https-app";

const WAIT = 15_000;
const THEMES = ["light", "dark"] as const;
const WIDTHS = [
  { name: "1280", viewport: { width: 1280, height: 800 } },
  { name: "390", viewport: { width: 390, height: 844 } },
] as const;

describe.runIf(chromiumAvailable() && httpsAvailable())("every page in both themes and widths (Commerce7 sandbox)", () => {
  let site: HttpsApp;
  let browser: Browser;
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

  async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
    return browser.newContext({ ...CONTEXT_OPTIONS, viewport });
  }

  function adminUrl(tenantId: string, theme: string, extra: Record<string, string> = {}) {
    return `${site.appUrl}/sandbox/commerce7/admin?${new URLSearchParams({ tenantId, adminUITheme: theme, ...extra })}`;
  }

  /** Colour contrast and the other serious rules, with what failed named. */
  async function expectReadable(frame: Frame, where: string) {
    const violations = await seriousViolations(frame);
    expect(violations, where).toEqual([]);
  }

  /**
   * The frame shows the whole page: the page's last element (and the given
   * ones) end inside the frame, and nothing scrolls sideways.
   */
  async function expectNotClipped(page: Page, frame: Frame, where: string, selectors: string[] = []) {
    await expect
      .poll(
        async () =>
          frame.evaluate((extra) => {
            const visible = (el: Element) => {
              const r = el.getBoundingClientRect();
              const style = getComputedStyle(el);
              return r.width > 0 && r.height > 0 && style.visibility !== "hidden" && style.position !== "fixed";
            };
            // The lowest visible element of the page (the page's last element, whatever page it is).
            let bottom = 0;
            for (const el of document.body.querySelectorAll("*")) {
              if (visible(el) && !el.closest(".Polaris-Frame-ToastManager")) bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
            }
            const missing = extra.filter((s) => {
              const el = [...document.querySelectorAll(s)].pop();
              return !el || el.getBoundingClientRect().bottom > window.innerHeight;
            });
            return {
              lastElementInside: bottom <= window.innerHeight + 1,
              missing,
              sideways: document.documentElement.scrollWidth > window.innerWidth + 1,
            };
          }, selectors),
        { timeout: WAIT, message: `${where}: the page's end inside the frame, nothing wider than it` },
      )
      .toEqual({ lastElementInside: true, missing: [], sideways: false });
    // And the admin page shows the frame whole (the frame is not taller than it claims).
    expect(await page.locator("iframe").evaluate((f) => f.getBoundingClientRect().height > 0), where).toBe(true);
  }

  async function shot(page: Page, name: string) {
    await settled(page);
    await screenshot(page, name);
  }

  for (const theme of THEMES) {
    for (const width of WIDTHS) {
      const tag = `look-${theme}-${width.name}`;

      it(`${theme}, ${width.name} px: dashboard, settings (saved, error), sessions (two devices, confirm), the explanation page`, async () => {
        counter += 1;
        const tenantId = `look-${theme}-${width.name}-${counter}`;
        await sandbox.control({ reset: true, virtualTime: true });
        await sandbox.activate(tenantId);
        // Another device of the same user, so the sessions page has a row to sign out and the confirm step.
        const other = await newContext(width.viewport);
        const otherPage = await other.newPage();
        await otherPage.goto(adminUrl(tenantId, theme));
        await (await appFrame(otherPage)).getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });

        const context = await newContext(width.viewport);
        const page = await context.newPage();
        await page.goto(adminUrl(tenantId, theme));
        const frame = await appFrame(page);
        await frame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });
        expect(await frame.locator("html").getAttribute("class")).toContain(theme === "dark" ? "p-theme-dark-experimental" : "p-theme-light");
        // A person's name, and when the session ends in words, in this browser's time zone.
        expect(await frame.getByText("Signed in as").textContent()).toContain("Sam Sommelier");
        // (the local date appears once the page runs in the browser)
        await frame.getByText(/Your session ends in \d+ hours \(.+\), or after 30 minutes without activity/).waitFor({ timeout: WAIT });
        await expectReadable(frame, `${tag} dashboard`);
        await expectNotClipped(page, frame, `${tag} dashboard`);
        await shot(page, `${tag}-dashboard`);

        const tab = async (name: string) => {
          await frame.getByRole("tab", { name }).click();
        };

        await tab("Settings");
        const field = frame.getByLabel("Organization name");
        await field.waitFor({ timeout: WAIT });
        // Nothing changed yet: nothing to save.
        expect(await frame.getByRole("button", { name: "Save" }).isDisabled()).toBe(true);
        expect(await field.getAttribute("maxlength")).toBe("100");
        await expectReadable(frame, `${tag} settings`);
        await expectNotClipped(page, frame, `${tag} settings`, ["button[type=submit]"]);
        await shot(page, `${tag}-settings`);

        await field.fill("Harbor & Hill");
        await frame.getByRole("button", { name: "Save" }).click();
        await frame.getByText("Settings saved").waitFor({ timeout: WAIT });
        await expectReadable(frame, `${tag} settings saved`);
        await shot(page, `${tag}-settings-saved`);

        // An error right after a save: the error in the merchant's words, readable, and no stale "saved" beside it.
        await field.fill("Harbor <b>");
        await frame.getByRole("button", { name: "Save" }).click();
        await frame.getByText("Names can't contain < or >.").waitFor({ timeout: WAIT });
        // (a toast already leaving may take its exit animation's moment)
        await expect.poll(() => frame.getByText("Settings saved").count(), { timeout: 2000 }).toBe(0);
        await field.focus(); // the focus ring on an invalid field, too
        await expectReadable(frame, `${tag} settings error`);
        await expectNotClipped(page, frame, `${tag} settings error`, ["button[type=submit]"]);
        await shot(page, `${tag}-settings-error`);

        await tab("Sessions");
        await frame.getByText("This device", { exact: true }).waitFor({ timeout: WAIT });
        expect(await frame.getByText("Chrome on Linux").count()).toBeGreaterThan(0);
        await expectReadable(frame, `${tag} sessions`);
        await expectNotClipped(page, frame, `${tag} sessions`, [".Polaris-IndexTable__TableRow, .Polaris-IndexTable-ScrollContainer li", "button"]);
        // The table itself never scrolls sideways.
        expect(
          await frame.evaluate(() =>
            [...document.querySelectorAll(".Polaris-IndexTable-ScrollContainer")].every((el) => el.scrollWidth <= el.clientWidth + 1),
          ),
        ).toBe(true);
        await shot(page, `${tag}-sessions`);

        // Signing out every other device asks first.
        await frame.getByRole("button", { name: "Sign out all other sessions" }).click();
        await frame.getByText("Sign out 1 other session?").waitFor({ timeout: WAIT });
        await expectReadable(frame, `${tag} sessions confirm`);
        await expectNotClipped(page, frame, `${tag} sessions confirm`, ["button"]);
        await shot(page, `${tag}-sessions-confirm`);
        await frame.getByRole("button", { name: "Sign out 1 session" }).click();
        await frame.getByText("1 other session signed out.").waitFor({ timeout: WAIT });
        await expect.poll(() => frame.getByText("Chrome on Linux").count(), { timeout: WAIT }).toBe(1);
        await expectReadable(frame, `${tag} sessions after sign-out (toast)`);

        // The explanation page after logging out, in the admin's theme.
        await frame.getByRole("button", { name: "Log out" }).click();
        await frame.getByRole("heading", { name: "You have logged out" }).waitFor({ timeout: WAIT });
        await expectReadable(frame, `${tag} logged out`);
        await expectNotClipped(page, frame, `${tag} logged out`, ["a"]);
        await shot(page, `${tag}-logged-out`);
        await context.close();
        await other.close();
      });

      it(`${theme}, ${width.name} px: every error page has an action, readable and whole (429, 500, 404, no access, not activated)`, async () => {
        counter += 1;
        const tenantId = `look-errors-${theme}-${width.name}-${counter}`;
        await sandbox.control({ reset: true, virtualTime: true });
        await sandbox.activate(tenantId);
        const context = await newContext(width.viewport);
        const page = await context.newPage();

        // Commerce7 busy: a warning (not critical red) with Try again.
        await sandbox.control({ failure: { mode: "429", retryAfterSeconds: 120 } });
        await page.goto(adminUrl(tenantId, theme));
        let frame = await appFrame(page);
        await frame.getByRole("heading", { name: "Commerce7 is busy" }).waitFor({ timeout: WAIT });
        expect(await frame.locator(".Polaris-Banner--textCriticalOnBgFill, .Polaris-Banner__text--critical").count()).toBe(0);
        expect(await frame.locator(".Polaris-Banner--textWarningOnBgFill, .Polaris-Banner__text--warning").count()).toBe(1);
        expect(await frame.getByRole("button", { name: "Try again" }).isVisible()).toBe(true);
        await expectReadable(frame, `${tag} 429`);
        await expectNotClipped(page, frame, `${tag} 429`, ["button"]);
        await shot(page, `${tag}-error-429`);

        // Commerce7 not answering: Try again and a support link.
        await sandbox.control({ reset: true, virtualTime: true, failure: { mode: "500" } });
        await page.goto(adminUrl(tenantId, theme));
        frame = await appFrame(page);
        await frame.getByRole("heading", { name: "Commerce7 is not answering" }).waitFor({ timeout: WAIT });
        expect(await frame.getByRole("button", { name: "Try again" }).isVisible()).toBe(true);
        expect(await frame.getByRole("link", { name: "Contact support" }).isVisible()).toBe(true);
        await expectReadable(frame, `${tag} 500`);
        await expectNotClipped(page, frame, `${tag} 500`, ["a"]);
        await shot(page, `${tag}-error-500`);

        // Try again, once Commerce7 answers: the app opens.
        await sandbox.control({ reset: true, virtualTime: true });
        await frame.getByRole("button", { name: "Try again" }).click();
        await frame.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: WAIT });

        // A page that does not exist: a way back (signed in here, so back to the dashboard).
        // (after the entry page's handoff has rotated the cookie: a document load racing it would carry the old one)
        await frame.waitForLoadState("networkidle");
        await frame.goto(`${site.appUrl}/app/no-such-page`);
        await frame.getByRole("heading", { name: "Page not found" }).waitFor({ timeout: WAIT });
        expect(await frame.getByText("Please try again").count()).toBe(0);
        // Inside the app: the admin's theme and the app's own tabs.
        expect(await frame.locator("html").getAttribute("class")).toContain(theme === "dark" ? "p-theme-dark-experimental" : "p-theme-light");
        expect(await frame.getByRole("tab", { name: "Dashboard" }).count()).toBe(1);
        await expectReadable(frame, `${tag} 404`);
        await expectNotClipped(page, frame, `${tag} 404`, ["a"]);
        await shot(page, `${tag}-error-404`);
        // (clicked again if the frame was still resizing under the first click)
        const back = frame.getByRole("link", { name: "Back to Dashboard" });
        await expect
          .poll(
            async () => {
              if (await back.isVisible()) await back.click({ timeout: 2000 }).catch(() => undefined);
              return frame.getByRole("heading", { name: "Dashboard" }).isVisible();
            },
            { timeout: WAIT },
          )
          .toBe(true);

        // Refusals: no access (support link), not activated.
        await sandbox.control({ failure: { mode: "401" } });
        await page.goto(adminUrl(tenantId, theme));
        frame = await appFrame(page);
        await frame.getByRole("heading", { name: "You don't have access to this app" }).waitFor({ timeout: WAIT });
        expect(await frame.getByRole("link", { name: "Contact support" }).isVisible()).toBe(true);
        await expectReadable(frame, `${tag} no access`);
        await expectNotClipped(page, frame, `${tag} no access`, ["a"]);
        await shot(page, `${tag}-error-no-access`);

        await sandbox.control({ reset: true, virtualTime: true });
        await page.goto(adminUrl(`never-activated-${counter}`, theme));
        frame = await appFrame(page);
        await frame.getByRole("heading", { name: "This app is not activated for your store" }).waitFor({ timeout: WAIT });
        await expectReadable(frame, `${tag} not activated`);
        await shot(page, `${tag}-error-not-activated`);

        // Someone who was never signed in, outside any admin: plain words and a way in.
        await page.goto(`${site.appUrl}/?reason=unauthenticated${theme === "dark" ? "&theme=dark" : ""}`);
        await page.getByRole("heading", { name: "Open the app from your store's admin" }).waitFor({ timeout: WAIT });
        expect(await page.getByText("This page needs a session").count()).toBe(0);
        expect(await page.getByRole("link", { name: "Go to Commerce7 admin" }).isVisible()).toBe(true);
        expect(await seriousViolations(page), `${tag} unauthenticated`).toEqual([]);
        await shot(page, `${tag}-unauthenticated`);
        await context.close();
      });
    }
  }
});
