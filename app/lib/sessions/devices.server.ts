/**
 * Human names for the devices in the sessions list ("Chrome on macOS").
 * ua-parser-js 1.x (MIT); 2.x changed licence to AGPL, so we stay on 1.x.
 */
import { UAParser } from "ua-parser-js";

export interface DeviceDescription {
  browser: string;
  os: string;
  kind: "desktop" | "mobile" | "tablet" | "other";
}

/**
 * The names people use. Versions are left out: browsers freeze them in the
 * User-Agent (every Mac reports "10.15.7", every Windows "10"), so they
 * would be wrong more often than right.
 */
const OS_NAMES: Record<string, string> = {
  "Mac OS": "macOS",
  "Chromium OS": "ChromeOS",
  "Chrome OS": "ChromeOS",
  Ubuntu: "Linux",
  Debian: "Linux",
  Fedora: "Linux",
};
const BROWSER_NAMES: Record<string, string> = {
  "Mobile Safari": "Safari",
  "Chrome WebView": "Chrome",
  "Mobile Chrome": "Chrome",
  "Mobile Firefox": "Firefox",
  Edge: "Edge",
};

export function describeDevice(userAgent: string | null): DeviceDescription {
  if (!userAgent) return { browser: "Unknown browser", os: "unknown system", kind: "other" };
  const result = new UAParser(userAgent).getResult();
  const browser = result.browser.name ? (BROWSER_NAMES[result.browser.name] ?? result.browser.name) : "Unknown browser";
  const os = result.os.name ? (OS_NAMES[result.os.name] ?? result.os.name) : "unknown system";
  const type = result.device.type;
  const kind = type === "mobile" ? "mobile" : type === "tablet" ? "tablet" : type ? "other" : "desktop";
  return { browser, os, kind };
}

/** An address as a merchant reads it: IPv4 clients of a dual-stack server show as plain IPv4. */
export function displayIp(ip: string | null): string | null {
  return ip?.startsWith("::ffff:") && ip.includes(".") ? ip.slice("::ffff:".length) : ip;
}
