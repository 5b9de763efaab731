/**
 * Human names for the devices in the sessions list ("Chrome 131 on macOS").
 * ua-parser-js 1.x (MIT); 2.x changed licence to AGPL, so we stay on 1.x.
 */
import { UAParser } from "ua-parser-js";

export interface DeviceDescription {
  browser: string;
  os: string;
  kind: "desktop" | "mobile" | "tablet" | "other";
}

export function describeDevice(userAgent: string | null): DeviceDescription {
  if (!userAgent) return { browser: "Unknown browser", os: "unknown system", kind: "other" };
  const result = new UAParser(userAgent).getResult();
  const major = result.browser.version?.split(".")[0];
  const browser = result.browser.name ? `${result.browser.name}${major ? ` ${major}` : ""}` : "Unknown browser";
  const os = result.os.name ? `${result.os.name}${result.os.version ? ` ${result.os.version}` : ""}` : "unknown system";
  const type = result.device.type;
  const kind = type === "mobile" ? "mobile" : type === "tablet" ? "tablet" : type ? "other" : "desktop";
  return { browser, os, kind };
}

/** An address as a merchant reads it: IPv4 clients of a dual-stack server show as plain IPv4. */
export function displayIp(ip: string | null): string | null {
  return ip?.startsWith("::ffff:") && ip.includes(".") ? ip.slice("::ffff:".length) : ip;
}
