/**
 * "Session tokens never appear in a URL, an HTML page or a log." Every flow
 * that handles a credential, run over real HTTP against the built app on
 * PostgreSQL with LOG_LEVEL=debug: Shopify install (OAuth) and embedded
 * entry (id_token, a stale one bounced), App Bridge's Bearer requests,
 * Commerce7 activation, entry and deactivation, the cookie-less handoff,
 * "keep me signed in", revocation from the sessions page, logout, failed
 * credentials, the cleanup endpoint and the operator CLI. Every credential
 * they issue or use is registered (tests/support/secret-scan.ts), then
 * looked for in everything the app produced: each Location header and URL
 * it sent the browser to, each HTML page and JSON body, every response
 * header, its stdout and stderr, the session_events rows, every other row,
 * and the CLI's output.
 *
 * Designed channels are the exceptions, each named: the admins' own entry
 * URLs carry their id_token / account token and the OAuth callback its
 * one-time code (the platforms put them there); the entry page carries the
 * one-time handoff code (never the token); the handoff's JSON answer and
 * the X-App-Session-Token header carry the page's session token; Set-Cookie
 * carries the cookie.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlatformSessionStorage } from "~/lib/platforms/platform-sessions.server";
import { sandboxShopifyCredentials, signSandboxSessionToken } from "~/lib/sandbox/shopify.server";
import { hashSessionToken } from "~/lib/sessions/core.server";
import { TEST_APP_ENV } from "../support/app-server";
import { basic, COMMERCE7_TEST_ENV, commerce7Sandbox, sessionTokenOf, TEST_INSTALLER } from "../support/commerce7";
import { postgresAvailable } from "../support/databases";
import { SecretRegistry } from "../support/secret-scan";
import { cookiePair } from "../support/sessions";
import { startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";
import { adminIframeSrc, BROWSER_UA, cookiesOf, local, sandboxSessionToken, storeOf, uniqueShop } from "../support/shopify";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const CRON_SECRET = "cron-secret-for-the-leak-scan-5e1d7c";
const HANDOFF_CODE = /"handoff":"([A-Za-z0-9_-]{32})"/;
/** Response headers that carry a credential by design. */
const CREDENTIAL_HEADERS = new Set(["set-cookie", "x-app-session-token"]);

/** One response the app (not the sandbox standing in for a platform) gave. */
interface Visit {
  label: string;
  /** The URL asked for; the platforms' own entry and callback URLs are not the app's and are left out. */
  url: string | null;
  status: number;
  location: string | null;
  headers: string;
  html: string | null;
  json: string | null;
}

describe.runIf(postgresAvailable())("no token in a URL, a page, a log or a row", () => {
  let shared: SharedPostgresApp;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  const visits: Visit[] = [];
  /** Plaintext credentials: nowhere but their designed channel, and never in a database row. */
  const secrets = new SecretRegistry()
    .add("CRON_SECRET", CRON_SECRET)
    .add("SESSION_SECRET", TEST_APP_ENV.SESSION_SECRET)
    .add("TOKEN_ENCRYPTION_KEY", TEST_APP_ENV.TOKEN_ENCRYPTION_KEY)
    .add("Shopify API secret", sandboxShopifyCredentials().apiSecret)
    .add("install Basic auth header", basic(TEST_INSTALLER.user, TEST_INSTALLER.password))
    .add("install password", TEST_INSTALLER.password);
  /** Token hashes: the database's lookup keys; in no log, page, URL or audit row. */
  const hashes = new SecretRegistry();
  /** One-time handoff codes: in their entry page only. */
  const handoffCodes = new SecretRegistry();
  let cliOutput = "";

  /** Register an app session token (and its hash) from a Set-Cookie or as it is. */
  function trackToken(label: string, token: string) {
    secrets.add(label, token);
    hashes.add(`${label} (SHA-256)`, hashSessionToken(token));
  }
  function trackSetCookies(label: string, response: Response) {
    for (const setCookie of response.headers.getSetCookie()) {
      if (!/app_session=[^;]/.test(setCookie)) continue;
      secrets.addCookie(`${label} cookie`, setCookie);
      trackToken(`${label} token`, sessionTokenOf(setCookie));
    }
  }

  /**
   * A request as a browser, App Bridge or a platform sends it; the response
   * is recorded (its URL unless `platformUrl`: a URL the platform made).
   */
  async function visit(
    label: string,
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string | URLSearchParams; platformUrl?: boolean } = {},
  ): Promise<Response> {
    const target = local(shared.app, url);
    const response = await fetch(target, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: { "User-Agent": BROWSER_UA, Accept: "text/html,application/xhtml+xml", ...init.headers },
      body: init.body,
    });
    const type = response.headers.get("content-type") ?? "";
    const body = await response.clone().text();
    const headers = [...response.headers].filter(([name]) => !CREDENTIAL_HEADERS.has(name)).map(([n, v]) => `${n}: ${v}`);
    visits.push({
      label,
      url: init.platformUrl ? null : new URL(target).pathname + new URL(target).search,
      status: response.status,
      location: response.headers.get("location"),
      headers: headers.join("\n"),
      html: type.startsWith("text/html") ? body : null,
      json: type.startsWith("application/json") ? body : null,
    });
    trackSetCookies(label, response);
    return response;
  }

  function form(fields: Record<string, string>, headers: Record<string, string>) {
    return {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin", ...headers },
      body: new URLSearchParams(fields),
    };
  }

  async function csrfOf(credential: Record<string, string>): Promise<string> {
    const layout = await visit("layout data", "/app?_data=routes%2Fapp", { headers: { ...credential, Accept: "application/json" } });
    expect(layout.status).toBe(200);
    return ((await layout.json()) as { csrfToken: string }).csrfToken;
  }

  async function cli(...args: string[]) {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", DATABASE_URL: shared.databaseUrl, LOG_LEVEL: "debug" };
    try {
      const { stdout, stderr } = await run("npm", ["run", "--silent", ...args], { cwd: ROOT, env, timeout: 60_000 });
      cliOutput += stdout + stderr;
      return stdout;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`npm run ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }

  beforeAll(async () => {
    shared = await startAppOnPostgres({
      ...COMMERCE7_TEST_ENV,
      LOG_LEVEL: "debug",
      CRON_SECRET,
      // One address makes every request here: the per-client limits are enough.
      RATE_LIMIT_LOGOUT_IP: "off",
      RATE_LIMIT_HANDOFF_IP: "off",
    });
    sandbox = commerce7Sandbox(shared.app, secrets);
    await sandbox.control({ reset: true, virtualTime: true });
  });
  afterAll(async () => {
    await shared?.close();
  });

  describe("the flows", () => {
    it("Shopify: install by OAuth, the admin's entry, a stale id_token bounced, App Bridge's bearer, logout", async () => {
      const shop = uniqueShop("leaks");
      // 1. Install from the App Store: /install/shopify → Shopify's authorize page → the callback.
      const begin = await visit("install begin", `/install/shopify?shop=${shop}`);
      expect(begin.status).toBe(302);
      const authorizeUrl = begin.headers.get("location") as string;
      const approve = await fetch(local(shared.app, "/sandbox/shopify/authorize"), {
        method: "POST",
        redirect: "manual",
        headers: { "User-Agent": BROWSER_UA, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URL(authorizeUrl, shared.app.url).searchParams,
      });
      const callbackUrl = approve.headers.get("location") as string;
      expect(callbackUrl).toMatch(/\/install\/shopify\/callback\?/);
      // The callback URL is Shopify's (it carries the one-time code); what the app answers is scanned.
      const done = await visit("install callback", callbackUrl, { headers: { Cookie: cookiesOf(begin) }, platformUrl: true });
      expect(done.status).toBe(302);
      expect(done.headers.getSetCookie().some((c) => c.startsWith("__Host-app_session="))).toBe(true);
      const [offline] = await new PlatformSessionStorage({ store: async () => shared.store }).findSessionsByShop(shop);
      expect(offline?.accessToken).toMatch(/^shpat_/);
      secrets.add("Shopify access token", offline.accessToken).add("Shopify refresh token", offline.refreshToken);

      // 2. The admin frames the app with a fresh id_token.
      const entryUrl = await adminIframeSrc(shared.app, storeOf(shop));
      secrets.add("Shopify id_token", new URL(entryUrl, shared.app.url).searchParams.get("id_token"));
      const entry = await visit("Shopify entry", entryUrl, { platformUrl: true });
      expect(entry.status).toBe(200);
      const cookie = cookiesOf(entry);

      // 3. A reload replays a stale id_token: bounced for a fresh one, without the stale one in the bounce's URLs.
      const stale = await signSandboxSessionToken({ shop, issuedAt: new Date(Date.now() - 10 * 60_000) });
      secrets.add("stale Shopify id_token", stale);
      const replay = new URL(entryUrl, shared.app.url);
      replay.searchParams.set("id_token", stale);
      const bounced = await visit("stale entry", `${replay.pathname}${replay.search}`, { platformUrl: true });
      expect(bounced.status).toBe(302);
      const bouncePage = await visit("bounce page", bounced.headers.get("location") as string);
      expect(bouncePage.status).toBe(200);

      // 4. App Bridge's bearer on the app's own fetches, and the pages by cookie.
      const bearer = await sandboxSessionToken(shared.app, shop);
      secrets.add("Shopify session token (Bearer)", bearer);
      for (const page of ["/app?_data=routes%2Fapp._index", "/app/settings?_data=routes%2Fapp.settings", "/app/sessions?_data=routes%2Fapp.sessions"]) {
        expect((await visit("bearer data", page, { headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json" } })).status).toBe(200);
      }
      for (const page of ["/app", "/app/settings", "/app/sessions"]) {
        expect((await visit("page by cookie", page, { headers: { Cookie: cookie } })).status).toBe(200);
      }
      const forged = `${bearer.slice(0, -4)}AAAA`;
      secrets.add("forged Shopify session token", forged);
      expect((await visit("forged bearer", "/app?_data=routes%2Fapp._index", { headers: { Authorization: `Bearer ${forged}`, Accept: "application/json" } })).status).toBe(401);

      // 5. Logout with App Bridge's token; the cookie then opens nothing.
      const logout = await visit("Shopify logout", "/logout", { method: "POST", headers: { Authorization: `Bearer ${await sandboxSessionToken(shared.app, shop)}`, Accept: "application/json" } });
      expect(logout.status).toBe(200);
      expect((await visit("after logout", "/app", { headers: { Cookie: cookie } })).status).toBe(302);
    });

    it("Commerce7: activation, entry, the cookie-less handoff, keep me signed in, revocation, logout, deactivation", async () => {
      const tenantId = `leak-winery-${process.pid}`;
      // 1. Activation (Basic auth), and a wrong pair.
      await sandbox.activate(tenantId);
      expect((await sandbox.installCall("install", { tenantId }, basic(TEST_INSTALLER.user, "wrong-password-0123456789"))).status).toBe(401);
      secrets.add("wrong install password", "wrong-password-0123456789");

      // 2. Two entries of one user (two devices); the first browser keeps cookies, the second refuses them.
      const src = await sandbox.frameSrc({ tenantId });
      const first = await visit("Commerce7 entry", src, { platformUrl: true });
      expect(first.status).toBe(200);
      const firstCookie = cookiePair(first.headers.get("set-cookie") ?? "");
      handoffCodes.add("handoff code", HANDOFF_CODE.exec(await first.text())?.[1]);
      const second = await visit("Commerce7 entry (cookies refused)", await sandbox.frameSrc({ tenantId }), { platformUrl: true });
      const code = HANDOFF_CODE.exec(await second.text())?.[1];
      expect(code).toBeDefined();
      handoffCodes.add("handoff code", code);

      // 3. The page redeems its code (no cookie: the browser refused it) and gets its token in JSON, its designed channel.
      const redeemed = await fetch(local(shared.app, "/auth/session-handoff"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Sec-Fetch-Site": "same-origin" },
        body: JSON.stringify({ code }),
      });
      expect(redeemed.status).toBe(200);
      const { token } = (await redeemed.json()) as { token: string };
      trackToken("handed-off token", token);
      const replayed = await visit("replayed handoff", "/auth/session-handoff", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Sec-Fetch-Site": "same-origin" },
        body: JSON.stringify({ code }),
      });
      expect(replayed.status).toBe(401);

      // 4. The pages on the Bearer token; "keep me signed in" rotates it into X-App-Session-Token.
      const bearer = { Authorization: `Bearer ${token}` };
      for (const page of ["/app?_data=routes%2Fapp._index", "/app/sessions?_data=routes%2Fapp.sessions"]) {
        expect((await visit("bearer data", page, { headers: { ...bearer, Accept: "application/json" } })).status).toBe(200);
      }
      const remembered = await visit("keep me signed in", "/app/sessions?_data=routes%2Fapp.sessions", form({ intent: "remember_me", csrf: await csrfOf(bearer) }, bearer));
      expect(remembered.status).toBe(200);
      const rotated = remembered.headers.get("x-app-session-token") as string;
      trackToken("rotated token", rotated);

      // 5. The cookie device revokes the other one from the sessions page; the other is told so.
      const sessions = await visit("sessions page", "/app/sessions", { headers: { Cookie: firstCookie } });
      expect(await sessions.text()).toContain("This device");
      const list = (await (await visit("sessions data", "/app/sessions?_data=routes%2Fapp.sessions", { headers: { Cookie: firstCookie, Accept: "application/json" } })).json()) as {
        sessions: Array<{ id: string; isCurrent: boolean }>;
      };
      const other = list.sessions.find((s) => !s.isCurrent);
      expect(other).toBeDefined();
      const csrf = await csrfOf({ Cookie: firstCookie });
      const revoked = await visit("revoke one", "/app/sessions?_data=routes%2Fapp.sessions", form({ intent: "revoke", sessionId: other?.id ?? "", csrf }, { Cookie: firstCookie }));
      expect(revoked.status).toBe(200);
      expect((await visit("revoked token", "/app", { headers: { Authorization: `Bearer ${rotated}` } })).status).toBe(401);
      expect((await visit("revoke the others", "/app/sessions", form({ intent: "revoke_others", csrf }, { Cookie: firstCookie }))).status).toBeLessThan(400);

      // 6. Credentials the app never issued: a tampered account token, a forged cookie, an unknown bearer.
      const tampered = new URL(src, shared.app.url);
      const account = tampered.searchParams.get("account") as string;
      tampered.searchParams.set("account", `${account.slice(0, -6)}AAAAAA`);
      secrets.add("tampered account token", tampered.searchParams.get("account"));
      await visit("tampered entry", `${tampered.pathname}${tampered.search}`, { platformUrl: true });
      const forgedCookie = `__Host-app_session=${encodeURIComponent(`${"B".repeat(43)}.forgedsignature0123456789`)}`;
      secrets.addCookie("forged cookie", forgedCookie);
      expect((await visit("forged cookie", "/app", { headers: { Cookie: forgedCookie } })).status).toBe(302);
      const unknown = "C".repeat(43);
      secrets.add("unknown bearer", unknown);
      expect((await visit("unknown bearer", "/app", { headers: { Authorization: `Bearer ${unknown}` } })).status).toBe(401);

      // 7. Logout from the page (cookie, CSRF), then deactivation ends whatever is left.
      const loggedOut = await visit("logout", "/logout", form({ csrf }, { Cookie: firstCookie }));
      expect(loggedOut.status).toBe(302);
      await visit("landing after logout", loggedOut.headers.get("location") as string);
      const third = await visit("Commerce7 entry before deactivation", await sandbox.frameSrc({ tenantId }), { platformUrl: true });
      const uninstall = await sandbox.installCall("uninstall", { tenantId });
      expect(uninstall.status).toBe(200);
      expect((await visit("after deactivation", "/app", { headers: { Cookie: cookiesOf(third) } })).status).toBe(302);
    });

    it("cleanup over HTTP and the operator CLI", async () => {
      expect((await visit("cleanup, wrong secret", "/api/sessions/cleanup", { method: "POST", headers: { Authorization: `Bearer ${CRON_SECRET}x` } })).status).toBe(401);
      secrets.add("wrong CRON_SECRET", `${CRON_SECRET}x`);
      expect((await visit("cleanup", "/api/sessions/cleanup", { method: "POST", headers: { Authorization: `Bearer ${CRON_SECRET}` } })).status).toBe(200);

      const [row] = await shared.sql.query<{ external_id: string }>("select external_id from clients where platform = 'shopify' limit 1");
      expect(await cli("sessions", "--", "stats")).toContain("shopify");
      await cli("sessions", "--", "list", "--client", row.external_id);
      await cli("sessions", "--", "--json", "list", "--client", row.external_id);
      await cli("sessions", "--", "revoke", "--client", row.external_id);
      await cli("sessions:cleanup");
    });
  });

  describe("the scan", () => {
    it("found what it looks for (the flows above ran and registered their credentials)", () => {
      expect(secrets.size).toBeGreaterThan(40);
      expect(handoffCodes.size).toBeGreaterThan(0);
      expect(visits.filter((v) => v.html).length).toBeGreaterThan(5);
      expect(visits.filter((v) => v.location).length).toBeGreaterThan(5);
      expect(shared.app.output()).toMatch(/"level":20/); // debug lines were written
      expect(cliOutput).not.toBe("");
    });

    it("no credential in any URL the app sent the browser to or was asked for", () => {
      const urls = visits.flatMap((v) => [v.url, v.location].filter((u): u is string => u !== null)).join("\n");
      const leaks = [...secrets.scan(urls, "URLs"), ...hashes.scan(urls, "URLs"), ...handoffCodes.scan(urls, "URLs")];
      expect(leaks).toEqual([]);
    });

    it("no credential in any HTML page (the entry page's one-time handoff code aside)", () => {
      const html = visits.map((v) => v.html ?? "").join("\n");
      expect([...secrets.scan(html, "HTML"), ...hashes.scan(html, "HTML")]).toEqual([]);
      // Only entry pages carry a code, and only their own.
      const elsewhere = visits.filter((v) => v.html && !v.label.startsWith("Commerce7 entry")).map((v) => v.html).join("\n");
      expect(handoffCodes.scan(elsewhere, "HTML")).toEqual([]);
    });

    it("no credential in any JSON body or response header (Set-Cookie and X-App-Session-Token aside)", () => {
      const json = visits.map((v) => v.json ?? "").join("\n");
      const headers = visits.map((v) => v.headers).join("\n");
      for (const registry of [secrets, hashes, handoffCodes]) {
        expect([...registry.scan(json, "JSON"), ...registry.scan(headers, "headers")]).toEqual([]);
      }
    });

    it("no credential in the server's output (LOG_LEVEL=debug) or the CLI's", () => {
      const output = `${shared.app.output()}\n${cliOutput}`;
      for (const registry of [secrets, hashes, handoffCodes]) expect(registry.scan(output, "logs")).toEqual([]);
    });

    it("no credential in session_events; no plaintext credential in any row", async () => {
      const events = JSON.stringify(await shared.sql.query("select * from session_events order by id"));
      expect(events).toContain("logged_out");
      for (const registry of [secrets, hashes, handoffCodes]) expect(registry.scan(events, "session_events")).toEqual([]);
      for (const table of ["app_sessions", "platform_sessions", "clients", "oauth_states", "rate_limit_counters", "webhook_deliveries", "maintenance_leases"]) {
        const rows = JSON.stringify(await shared.sql.query(`select * from ${table}`), (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));
        expect([...secrets.scan(rows, table), ...handoffCodes.scan(rows, table)]).toEqual([]);
      }
    });
  });
});
