/**
 * Commerce7 settings as the rest of the Commerce7 code uses them: the real
 * API and the configured credentials, or, when the composition root plugged
 * in the platform sandbox, another Commerce7 at the sandbox's base URL with
 * the sandbox's credentials (app/lib/platforms/plug.server.ts).
 */
import { z } from "zod";
import { env, type Env } from "~/lib/env.server";
import { platformSandbox, type PlatformPlug } from "~/lib/platforms/plug.server";

export const COMMERCE7_SCRIPT_URL = "https://dev-center.platform.commerce7.com/v2/commerce7.js";

/** Commerce7 tenant ids are slugs ("spectra-winery"): the one validation of a tenantId we receive. */
export const tenantIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a Commerce7 tenant id (letters, digits, '.', '_', '-')");

export interface BasicCredentials {
  user: string;
  password: string;
}

export interface Commerce7Settings {
  sandbox: boolean;
  /** Base URL of the API, no trailing slash. The sandbox's in sandbox mode. */
  apiUrl: string;
  /** The app's own id/secret; null when Commerce7 is not configured (and no sandbox). */
  appCredentials: BasicCredentials | null;
  /** The Basic auth pair the install/uninstall URLs require; null: Commerce7 is not configured here. */
  installCredentials: BasicCredentials | null;
  timeoutMs: number;
  maxRetryAfterMs: number;
  supportUrl: string;
  /** commerce7.js, loaded by every page shown in the Commerce7 admin (the sandbox serves a stand-in). */
  scriptUrl: string;
}

let cached: { source: Env; plug: PlatformPlug | null; settings: Commerce7Settings } | undefined;

/** Resolved once per parsed environment and plug (tests that change the environment call resetEnv). */
export function commerce7Settings(): Commerce7Settings {
  const e = env();
  const plug = platformSandbox();
  if (cached?.source !== e || cached.plug !== plug) cached = { source: e, plug, settings: resolveSettings(e, plug) };
  return cached.settings;
}

function resolveSettings(e: Env, plug: PlatformPlug | null): Commerce7Settings {
  const sandbox = plug?.commerce7 ?? null;
  const configuredInstall =
    e.COMMERCE7_INSTALL_USER && e.COMMERCE7_INSTALL_PASSWORD
      ? { user: e.COMMERCE7_INSTALL_USER, password: e.COMMERCE7_INSTALL_PASSWORD }
      : null;
  const configuredApp =
    e.COMMERCE7_APP_ID && e.COMMERCE7_APP_SECRET ? { user: e.COMMERCE7_APP_ID, password: e.COMMERCE7_APP_SECRET } : null;
  return {
    sandbox: sandbox !== null,
    apiUrl: (sandbox ? sandbox.apiUrl() : e.COMMERCE7_API_URL).replace(/\/+$/, ""),
    appCredentials: sandbox ? sandbox.appCredentials() : configuredApp,
    installCredentials: configuredInstall ?? sandbox?.installCredentials() ?? null,
    timeoutMs: e.COMMERCE7_API_TIMEOUT_MS,
    maxRetryAfterMs: e.COMMERCE7_MAX_RETRY_AFTER_SECONDS * 1000,
    supportUrl: e.COMMERCE7_SUPPORT_URL,
    scriptUrl: sandbox ? sandbox.scriptUrl : COMMERCE7_SCRIPT_URL,
  };
}

export function basicAuthorization({ user, password }: BasicCredentials): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}
