/**
 * Commerce7 settings as the rest of the Commerce7 code uses them, sandbox
 * included: with no COMMERCE7_APP_ID outside production the app talks to the
 * local sandbox (app/lib/sandbox/commerce7.server.ts), whose credentials are
 * DERIVED here from SESSION_SECRET (so they are stable across restarts, differ
 * per installation, and no weak password is ever written down).
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import { env, type Env } from "~/lib/env.server";
import { commerce7SandboxEnabled } from "~/lib/sandbox/index.server";

export const COMMERCE7_SCRIPT_URL = "https://dev-center.platform.commerce7.com/v2/commerce7.js";
export const SANDBOX_PATH = "/sandbox/commerce7";
export const SANDBOX_API_PATH = `${SANDBOX_PATH}/api/v1`;

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

/** A sandbox secret: HMAC(SESSION_SECRET, label). Never used outside the sandbox. */
export function sandboxSecret(label: string): string {
  return createHmac("sha256", env().SESSION_SECRET[0]).update(`commerce7-sandbox:${label}`).digest("base64url");
}

/** The sandbox's app id and secret (Basic auth of the app's own API calls). */
export function sandboxAppCredentials(): BasicCredentials {
  return { user: "commerce7-sandbox-app", password: sandboxSecret("app-secret") };
}

/** What the Dev Center would be told for the install URLs, when COMMERCE7_INSTALL_USER/PASSWORD are unset. */
export function sandboxInstallCredentials(): BasicCredentials {
  return { user: "commerce7-sandbox", password: sandboxSecret("install-password") };
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

let cached: { source: Env; settings: Commerce7Settings } | undefined;

/** Resolved once per parsed environment (tests that change the environment call resetEnv). */
export function commerce7Settings(): Commerce7Settings {
  const e = env();
  if (cached?.source !== e) cached = { source: e, settings: resolveSettings(e) };
  return cached.settings;
}

function resolveSettings(e: Env): Commerce7Settings {
  const sandbox = commerce7SandboxEnabled();
  const configuredInstall =
    e.COMMERCE7_INSTALL_USER && e.COMMERCE7_INSTALL_PASSWORD
      ? { user: e.COMMERCE7_INSTALL_USER, password: e.COMMERCE7_INSTALL_PASSWORD }
      : null;
  const configuredApp =
    e.COMMERCE7_APP_ID && e.COMMERCE7_APP_SECRET ? { user: e.COMMERCE7_APP_ID, password: e.COMMERCE7_APP_SECRET } : null;
  return {
    sandbox,
    apiUrl: (sandbox ? `${e.APP_URL}${SANDBOX_API_PATH}` : e.COMMERCE7_API_URL).replace(/\/+$/, ""),
    appCredentials: sandbox ? sandboxAppCredentials() : configuredApp,
    installCredentials: configuredInstall ?? (sandbox ? sandboxInstallCredentials() : null),
    timeoutMs: e.COMMERCE7_API_TIMEOUT_MS,
    maxRetryAfterMs: e.COMMERCE7_MAX_RETRY_AFTER_SECONDS * 1000,
    supportUrl: e.COMMERCE7_SUPPORT_URL,
    scriptUrl: sandbox ? `${SANDBOX_PATH}/commerce7.js` : COMMERCE7_SCRIPT_URL,
  };
}

export function basicAuthorization({ user, password }: BasicCredentials): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}
