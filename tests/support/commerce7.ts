/**
 * Driving the Commerce7 sandbox of a running app (tests/support/app-server.ts)
 * over HTTP, as a browser and Commerce7 would: open the sandbox admin, follow
 * its frame into the app, send the activation POSTs, read the call counter.
 */
import { unsign } from "cookie-signature";
import type { SandboxControl, sandboxReport } from "~/lib/sandbox/commerce7.server";
import { TEST_APP_ENV, type RunningApp } from "./app-server";
import type { SecretRegistry } from "./secret-scan";

export type SandboxReport = ReturnType<typeof sandboxReport>;

/** The Basic auth pair the test app is started with (as set in the Dev Center). */
export const TEST_INSTALLER = { user: "c7-installer", password: "c7-install-password-0123456789" };

export const COMMERCE7_TEST_ENV = {
  COMMERCE7_INSTALL_USER: TEST_INSTALLER.user,
  COMMERCE7_INSTALL_PASSWORD: TEST_INSTALLER.password,
  // A hang is abandoned quickly (real time: timeouts are not virtual).
  COMMERCE7_API_TIMEOUT_MS: "100",
  // Every test call comes from one IP: the per-IP limits are off; the per-tenant ones stay.
  RATE_LIMIT_ENTRY_IP: "off",
  RATE_LIMIT_INSTALL_IP: "off",
};

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** `secrets`: every account token, Basic auth pair and session cookie the helpers handle is registered there. */
export function commerce7Sandbox(app: RunningApp, secrets?: SecretRegistry) {
  async function control(body: SandboxControl): Promise<SandboxReport> {
    const res = await fetch(`${app.url}/sandbox/commerce7/control`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`sandbox control answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as SandboxReport;
  }

  async function report(): Promise<SandboxReport> {
    return (await (await fetch(`${app.url}/sandbox/commerce7/control`)).json()) as SandboxReport;
  }

  /** POST /install/commerce7 (or /uninstall) as Commerce7 sends it. */
  function installCall(kind: "install" | "uninstall", body: unknown, authorization = basic(TEST_INSTALLER.user, TEST_INSTALLER.password)) {
    secrets?.add("install Basic auth header", authorization).add("install password", TEST_INSTALLER.password);
    return fetch(`${app.url}/${kind}/commerce7`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: authorization },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  async function activate(tenantId: string, extra: Record<string, unknown> = {}) {
    const res = await installCall("install", {
      tenantId,
      user: { id: "c7-user-owner", email: "owner@winery.example", firstName: "Olive", lastName: "Owner" },
      "organization-name": `${tenantId} Estate`,
      ...extra,
    });
    if (res.status !== 200) throw new Error(`activation answered ${res.status}: ${await res.text()}`);
    return res;
  }

  /** The app URL the sandbox admin frames (tenantId, a signed account token, adminUITheme). */
  async function frameSrc(query: { tenantId: string; adminUITheme?: string; firstName?: string; email?: string }) {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined) as [string, string][]);
    const res = await fetch(`${app.url}/sandbox/commerce7/admin?${params}`);
    const html = await res.text();
    const src = /<iframe[^>]*src="([^"]+)"/.exec(html)?.[1];
    if (!src) throw new Error(`no app frame on the sandbox admin page (status ${res.status})`);
    // The admin frames APP_URL/app?…: the path and query, for this test server.
    const decoded = src.replace(/&amp;/g, "&").replace(/^https?:\/\/[^/]+/, "");
    secrets?.add("Commerce7 account token", new URLSearchParams(decoded.split("?")[1]).get("account"));
    return decoded;
  }

  /** Open the app the way the Commerce7 admin does: a document request to the framed URL. */
  async function enter(query: Parameters<typeof frameSrc>[0], headers: Record<string, string> = { Accept: "text/html" }) {
    const src = await frameSrc(query);
    const response = await fetch(`${app.url}${src}`, { headers, redirect: "manual" });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) secrets?.addCookie("session cookie", setCookie).add("session token", sessionTokenOf(setCookie));
    return { src, response };
  }

  return { control, report, installCall, activate, frameSrc, enter };
}

/** The app session token inside a Set-Cookie (what a browser refusing cookies would send as Bearer). */
export function sessionTokenOf(setCookie: string): string {
  const pair = setCookie.split(";")[0];
  const token = unsign(decodeURIComponent(pair.slice(pair.indexOf("=") + 1)), TEST_APP_ENV.SESSION_SECRET);
  if (token === false) throw new Error("the Set-Cookie does not carry a session token signed with the test secret");
  return token;
}
