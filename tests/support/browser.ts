/**
 * Debian's Chromium driven by playwright-core, as a merchant's browser.
 * Absent Chromium: the browser suites say so and skip (CI installs it and
 * REQUIRE_ALL_SUITES=1 turns a skip into a failure).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Frame,
  type Page,
} from "playwright-core";
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

/**
 * A desktop Chrome's User-Agent: headless Chromium's says "HeadlessChrome",
 * which @shopify/shopify-api treats as a bot (410 on the OAuth routes).
 */
export const DESKTOP_CHROME_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** Every context: a merchant's Chrome, and the HTTPS test server's self-signed certificate accepted. */
export const CONTEXT_OPTIONS: BrowserContextOptions = {
  userAgent: DESKTOP_CHROME_UA,
  ignoreHTTPSErrors: true,
  viewport: { width: 1280, height: 800 },
};

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

/**
 * A browser profile that refuses the framed app's cookies, as Safari does.
 *
 * Chromium's own "block third-party cookies" (set here too; this Chromium
 * already refuses unpartitioned third-party cookies by default) still keeps
 * PARTITIONED cookies (CHIPS), and the app's cookie is partitioned: so that
 * alone would not take the cookie away. This profile therefore also blocks
 * every cookie of `app` while it is embedded in `embeddedIn` (a cookie
 * content-setting exception: primary pattern the app, secondary the top-level
 * site), leaving first-party cookies alone (the OAuth install, the app opened
 * at top level). tests/e2e/browser-cookies.test.ts proves both halves in this
 * Chromium.
 */
export async function launchWithoutThirdPartyCookies(sites: {
  app: string;
  embeddedIn: string;
}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-3pc-"));
  fs.mkdirSync(path.join(dir, "Default"), { recursive: true });
  const app = new URL(sites.app).origin;
  const top = new URL(sites.embeddedIn).origin;
  fs.writeFileSync(
    path.join(dir, "Default", "Preferences"),
    JSON.stringify({
      profile: {
        block_third_party_cookies: true,
        cookie_controls_mode: 1,
        content_settings: { exceptions: { cookies: { [`${app},${top}`]: { setting: 2 } } } },
      },
    }),
  );
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, args: ARGS, ...CONTEXT_OPTIONS });
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

/** The admin page's app frame (one Frame object for the iframe, whatever it navigates to). */
export async function appFrame(page: Page, timeout = 15_000): Promise<Frame> {
  const element = await page.waitForSelector("iframe", { timeout });
  const frame = await element.contentFrame();
  if (!frame) throw new Error(`the iframe on ${page.url()} has no frame`);
  return frame;
}
