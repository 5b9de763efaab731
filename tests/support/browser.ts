/**
 * Debian's Chromium driven by playwright-core, as a merchant's browser.
 * Absent Chromium: the browser suites say so and skip (CI installs it and
 * REQUIRE_ALL_SUITES=1 turns a skip into a failure).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { requireOrSkip } from "./require";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  return requireOrSkip(
    "Browser (Chromium)",
    fs.existsSync(CHROMIUM_PATH),
    `${CHROMIUM_PATH} not found (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

/** Flags for a closed network: no background calls to Google services. */
const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

/**
 * A browser profile that refuses third-party cookies (as Safari does by
 * default): a persistent context whose preferences block them.
 */
export async function launchWithoutThirdPartyCookies(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-3pc-"));
  fs.mkdirSync(path.join(dir, "Default"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "Default", "Preferences"),
    JSON.stringify({ profile: { block_third_party_cookies: true, cookie_controls_mode: 1 } }),
  );
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, args: ARGS });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const SCREENSHOTS = path.resolve("test-results");

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
