/**
 * Every response carries the security headers: `X-Content-Type-Options:
 * nosniff`, `Referrer-Policy`, and a CSP with `frame-ancestors` ('none' for
 * anything that is not a page the admins frame; the admins' origins for
 * those). Like the route audit, it enumerates every route of the BUILT app
 * and asks each for its page, its data and its action, without a session and
 * with one; then the responses no route makes: static files, 404, 405,
 * server.js's cross-origin 403, 429, redirects, platform calls, and 503 with
 * the database down.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxWebhookPayload, signSandboxQuery, signSandboxWebhook } from "~/lib/sandbox/shopify.server";
import { createSessionCookie, generateSessionToken } from "~/lib/sessions/core.server";
import { startApp, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { routesWithHandlers, urlPath } from "../support/routes";
import { browserGet, uniqueShop } from "../support/shopify";
import { cookiePair } from "../support/sessions";

const ENV = {
  ...COMMERCE7_TEST_ENV,
  // Every route is asked several times from one address: only the cleanup limit stays, low, to meet a 429.
  RATE_LIMIT_LOGOUT_IP: "off",
  RATE_LIMIT_HANDOFF_IP: "off",
  RATE_LIMIT_ENTRY_CLIENT: "off",
  RATE_LIMIT_INSTALL_CLIENT: "off",
  RATE_LIMIT_CLEANUP_IP: "3/1h",
};

/** The directive's sources, or null without one. */
function frameAncestorsOf(response: Response): string | null {
  const csp = response.headers.get("content-security-policy") ?? "";
  return /(?:^|;)\s*frame-ancestors ([^;]+)/.exec(csp)?.[1].trim() ?? null;
}

/**
 * What the admins' pages are framed by (app/lib/security.server.ts): the app,
 * and the admin of the session's platform (Shopify: its admin and the shop;
 * Commerce7: its admin), or, with no proven session, either admin.
 */
const EITHER_ADMIN = /^'self' https:\/\/admin\.shopify\.com https:\/\/\*\.myshopify\.com https:\/\/\*\.commerce7\.com(?: \S+)*$/;
const SHOPIFY_SESSION = /^'self' https:\/\/admin\.shopify\.com https:\/\/[a-z0-9-]+\.myshopify\.com(?: \S+)*$/;
const COMMERCE7_SESSION = /^'self' https:\/\/\*\.commerce7\.com(?: \S+)*$/;
const EMBEDDED = new RegExp(`${EITHER_ADMIN.source}|${SHOPIFY_SESSION.source}|${COMMERCE7_SESSION.source}`);

/**
 * The three headers, on any response. A page (HTML) may be framed by the
 * admins or by nobody; anything else (JSON, scripts, styles, redirects,
 * empty bodies) by nobody.
 */
function expectSecurityHeaders(response: Response, label: string): void {
  expect(response.headers.get("x-content-type-options"), `${label}: X-Content-Type-Options`).toBe("nosniff");
  expect(response.headers.get("referrer-policy"), `${label}: Referrer-Policy`).toBe("strict-origin-when-cross-origin");
  const sources = frameAncestorsOf(response);
  expect(sources, `${label}: CSP frame-ancestors`).not.toBeNull();
  const html = (response.headers.get("content-type") ?? "").startsWith("text/html");
  if (html && sources !== "'none'") expect(sources, `${label}: a framed page names the admins`).toMatch(EMBEDDED);
  if (!html) expect(sources, `${label} (${response.status}, ${response.headers.get("content-type")})`).toBe("'none'");
}

describe("security headers on every response", async () => {
  const { routes, withHandlers } = await routesWithHandlers();
  let app: RunningApp;
  let sandbox: ReturnType<typeof commerce7Sandbox>;
  let tenants = 0;

  /** A fresh Commerce7 session (its own tenant: some actions below end it). */
  async function signedIn(): Promise<{ cookie: string; csrf: string }> {
    tenants += 1;
    const tenantId = `headers-winery-${tenants}`;
    await sandbox.activate(tenantId);
    const { response } = await sandbox.enter({ tenantId });
    expect(response.status).toBe(200);
    const cookie = cookiePair(response.headers.get("set-cookie") ?? "");
    const layout = await fetch(`${app.url}/app?_data=routes%2Fapp`, { headers: { Cookie: cookie } });
    return { cookie, csrf: ((await layout.json()) as { csrfToken: string }).csrfToken };
  }

  function get(path: string, headers: Record<string, string> = {}) {
    return fetch(`${app.url}${path}`, { redirect: "manual", headers });
  }

  beforeAll(async () => {
    app = await startApp(ENV);
    sandbox = commerce7Sandbox(app);
    await sandbox.control({ reset: true, virtualTime: true });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("visits every route (the check is not vacuous)", () => {
    expect(withHandlers.length).toBeGreaterThan(20);
    expect(withHandlers.map((r) => r.id)).toEqual(expect.arrayContaining(["routes/app", "routes/webhooks.shopify", "routes/install.commerce7", "routes/sandbox.shopify.admin.$store"]));
  });

  for (const route of withHandlers) {
    const target = urlPath(routes, route);
    const data = `${target}${target.includes("?") ? "&" : "?"}_data=${encodeURIComponent(route.id)}`;

    if (route.module.loader) {
      it(`GET ${target} (${route.id}): page and data, without and with a session`, async () => {
        const { cookie } = await signedIn();
        for (const [label, headers] of [
          ["no session", {}],
          ["session cookie", { Cookie: cookie }],
        ] as const) {
          const page = await get(target, { Accept: "text/html", ...headers });
          expectSecurityHeaders(page, `${route.id} page, ${label}`);
          const json = await get(data, headers);
          expectSecurityHeaders(json, `${route.id} data, ${label}`);
          await Promise.all([page.arrayBuffer(), json.arrayBuffer()]);
        }
      });
    }
    if (route.module.action) {
      it(`POST ${target} (${route.id}): without and with a session`, async () => {
        const { cookie, csrf } = await signedIn();
        const query = route.index ? "?index" : "";
        for (const [label, headers] of [
          ["no session", {}],
          ["session cookie, same origin", { Cookie: cookie, "Sec-Fetch-Site": "same-origin" }],
        ] as const) {
          const res = await fetch(`${app.url}${target}${query}`, {
            method: "POST",
            redirect: "manual",
            headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
            // Nothing any action accepts: every one answers with a refusal of its own.
            body: new URLSearchParams({ intent: "header-probe", csrf, organizationName: "x" }),
          });
          expectSecurityHeaders(res, `${route.id} action, ${label}`);
          await res.arrayBuffer();
        }
      });
    }
  }

  it("static build assets and public files", async () => {
    const page = await get("/");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:href|src)="(\/build\/[^"]+\.(?:css|js))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of [...assets, "/robots.txt"]) {
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expectSecurityHeaders(res, asset);
      await res.arrayBuffer();
    }
    // A revalidation answered 304 (no body) keeps them too. (fetch hides a 304 behind a 200: plain node:http.)
    const etag = (await get(assets[0])).headers.get("etag") ?? "";
    const revalidated = await new Promise<Response>((resolve, reject) => {
      http
        .get(`${app.url}${assets[0]}`, { headers: { "If-None-Match": etag } }, (res) => {
          res.resume();
          const headers = new Headers(Object.entries(res.headers).map(([k, v]): [string, string] => [k, String(v)]));
          resolve(new Response(null, { status: res.statusCode, headers }));
        })
        .on("error", reject);
    });
    expect(revalidated.status).toBe(304);
    expectSecurityHeaders(revalidated, "304");
  });

  it("404 for unknown pages, data, files and build assets", async () => {
    for (const [path, accept] of [
      ["/no-such-page", "text/html"],
      ["/no-such-page", "application/json"],
      ["/no-such-file.png", "*/*"],
      ["/build/no-such-asset.js", "*/*"],
    ]) {
      const res = await get(path, { Accept: accept });
      expect(res.status, path).toBe(404);
      expectSecurityHeaders(res, `404 ${path} (${accept})`);
    }
    // Under /app, the session comes first (a signed-in merchant gets the app's own 404 page, with its tabs).
    const unknownAppPage = await get("/app/no-such-page", { Accept: "text/html" });
    expect(unknownAppPage.status).toBe(302);
    expect(unknownAppPage.headers.get("location")).toMatch(/^\/\?reason=unauthenticated/);
    expectSecurityHeaders(unknownAppPage, "/app/no-such-page without a session");
  });

  it("405 for a method a route does not take, and OPTIONS/HEAD", async () => {
    const logout = await get("/logout");
    expect(logout.status).toBe(405);
    expectSecurityHeaders(logout, "GET /logout");
    const install = await get("/install/commerce7");
    expect(install.status).toBe(405);
    expectSecurityHeaders(install, "GET /install/commerce7");
    for (const method of ["HEAD", "OPTIONS", "PUT", "DELETE"]) {
      const res = await fetch(`${app.url}/app`, { method, redirect: "manual" });
      expectSecurityHeaders(res, `${method} /app`);
    }
  });

  it("the cross-origin 403 from server.js", async () => {
    const { cookie, csrf } = await signedIn();
    const res = await fetch(`${app.url}/app/settings`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: cookie, Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ csrf, organizationName: "Hijacked" }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "csrf" });
    expectSecurityHeaders(res, "cross-origin POST");
  });

  it("429 over a rate limit", async () => {
    let last: Response | null = null;
    for (let i = 0; i < 10 && last?.status !== 429; i++) last = await get("/api/sessions/cleanup");
    expect(last?.status).toBe(429);
    expectSecurityHeaders(last as Response, "429");
  });

  it("redirects: no session, a logout, the Shopify bounce", async () => {
    const noSession = await get("/app/settings", { Accept: "text/html" });
    expect(noSession.status).toBe(302);
    expectSecurityHeaders(noSession, "302 to /?reason=");

    const { cookie, csrf } = await signedIn();
    const logout = await fetch(`${app.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: cookie, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf }),
    });
    expect(logout.status).toBe(302);
    expectSecurityHeaders(logout, "logout redirect");

    const shop = uniqueShop("headers");
    const bounce = await browserGet(app, `/app?embedded=1&shop=${shop}&host=${Buffer.from(`admin.shopify.com/store/${shop}`).toString("base64url")}`);
    expect(bounce.status).toBe(302);
    expect(bounce.headers.get("location")).toMatch(/^\/auth\/shopify\/session-token\?/);
    expectSecurityHeaders(bounce, "bounce redirect");
    const page = await browserGet(app, bounce.headers.get("location") as string);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page, "bounce page");
    expect(frameAncestorsOf(page)).toMatch(EMBEDDED);
  });

  it("platform calls: Shopify install and webhooks, Commerce7 activation and deactivation", async () => {
    const shop = uniqueShop("headers-install");
    const begin = await browserGet(app, `/install/shopify?shop=${shop}`);
    expect(begin.status).toBe(302);
    expectSecurityHeaders(begin, "install begin");
    const framed = await browserGet(app, `/install/shopify?shop=${shop}&embedded=1`);
    expect(framed.status).toBe(200);
    expectSecurityHeaders(framed, "install: leave the iframe");
    const badShop = await browserGet(app, "/install/shopify?shop=evil.example");
    expect(badShop.status).toBe(400);
    expectSecurityHeaders(badShop, "install: bad shop page");
    const forged = await browserGet(app, `/install/shopify/callback?${signSandboxQuery({ shop, code: "c", state: "never-issued", timestamp: String(Math.floor(Date.now() / 1000)) })}`);
    expect(forged.status).toBe(400);
    expectSecurityHeaders(forged, "callback refused");

    const webhook = await fetch(`${app.url}/webhooks/shopify`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Topic": "app/uninstalled", "X-Shopify-Hmac-Sha256": "AAAA", "X-Shopify-Shop-Domain": shop },
      body: "{}",
    });
    expect(webhook.status).toBe(401);
    expectSecurityHeaders(webhook, "webhook, bad HMAC");
    const topic = "customers/data_request";
    const delivery = signSandboxWebhook({ shop, topic, body: JSON.stringify(sandboxWebhookPayload(topic, shop)) });
    const delivered = await fetch(`${app.url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body });
    expect(delivered.status).toBe(200);
    expectSecurityHeaders(delivered, "webhook delivered");

    const tenantId = `headers-install-${Date.now()}`;
    expectSecurityHeaders(await sandbox.activate(tenantId), "Commerce7 activation");
    expectSecurityHeaders(await sandbox.installCall("install", { tenantId }, "Basic AAAA"), "Commerce7 activation, bad auth");
    expectSecurityHeaders(await sandbox.installCall("uninstall", { tenantId }), "Commerce7 deactivation");
  });

  it("pages the admins frame name the admin of the session's platform only; JSON from the same routes is framed by nobody", async () => {
    const { cookie } = await signedIn();
    for (const [path, routeId] of [
      ["/app", "routes/app._index"],
      ["/app/settings", "routes/app.settings"],
      ["/app/sessions", "routes/app.sessions"],
      ["/?reason=idle", "routes/_index"],
    ]) {
      const page = await get(path, { Cookie: cookie, Accept: "text/html" });
      expect(page.status, path).toBe(200);
      // A Commerce7 session's pages: Commerce7's admin, not Shopify's; the landing page asks for no session: either admin.
      expect(frameAncestorsOf(page), path).toMatch(path.startsWith("/app") ? COMMERCE7_SESSION : EITHER_ADMIN);
      const json = await get(`${path}${path.includes("?") ? "&" : "?"}_data=${encodeURIComponent(routeId)}`, { Cookie: cookie });
      expect(json.status, `${path} data`).toBe(200);
      expect(frameAncestorsOf(json), `${path} data`).toBe("'none'");
    }
    // A page asked for by an API client without a session answers JSON (entry.server.tsx): framed by nobody.
    const refused = await get("/app", { Accept: "application/json" });
    expect(refused.status).toBe(401);
    expect(frameAncestorsOf(refused)).toBe("'none'");
  });

  describe("with the database down", () => {
    let down: RunningApp;
    beforeAll(async () => {
      // Nothing listens on port 1: every connection is refused at once.
      down = await startApp({ ...ENV, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
    });
    afterAll(async () => {
      await down?.stop();
    });

    it("503 pages, data and health checks", async () => {
      // A well-formed session cookie: only the database could say whether it is live.
      const cookie = cookiePair(createSessionCookie(generateSessionToken()));
      for (const [path, accept] of [
        ["/app", "text/html"],
        ["/app", "application/json"],
        ["/app?_data=routes%2Fapp", "*/*"],
        ["/healthz", "*/*"],
        ["/api/sessions/cleanup", "*/*"],
      ]) {
        const res = await fetch(`${down.url}${path}`, { redirect: "manual", headers: { Accept: accept, Cookie: cookie } });
        expect(res.status, path).toBeGreaterThanOrEqual(500);
        expect(res.status, path).not.toBe(500);
        expectSecurityHeaders(res, `${path} (${accept}), database down`);
      }
    });
  });
});
