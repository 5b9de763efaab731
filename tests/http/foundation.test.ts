/**
 * The built app over real HTTP: health, the refusal shapes of DESIGN.md,
 * cookie attributes from real Set-Cookie headers, and start-up settings.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "~/lib/db/store.server";
import { createSessionCookie, generateSessionToken } from "~/lib/sessions/core.server";
import { startApp, startAppExpectingFailure, TEST_APP_ENV, type RunningApp } from "../support/app-server";
import { postgresAvailable } from "../support/databases";
import { cookieAttributes, expectUnavailableJson } from "../support/sessions";
import { signInDirect, startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";

describe("the app over HTTP (embedded PGlite)", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("GET /healthz is 200 with the database reachable", async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "pglite" });
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("GET /app without a session redirects a document to /?reason=unauthenticated", async () => {
    const res = await fetch(`${app.url}/app`, { redirect: "manual", headers: { Accept: "text/html" } });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/?reason=unauthenticated");
  });

  it("GET /app without a session gives API clients 401 JSON", async () => {
    const res = await fetch(`${app.url}/app`, { headers: { Accept: "application/json" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: "unauthenticated", message: expect.any(String), reasonUrl: "/?reason=unauthenticated" });
  });

  it("a Remix data request without a session gets 401 JSON", async () => {
    const res = await fetch(`${app.url}/app?_data=routes%2Fapp._index`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "unauthenticated" });
  });

  it("a garbage cookie is no session: redirect, and the cookie is cleared with every attribute", async () => {
    const res = await fetch(`${app.url}/app`, {
      redirect: "manual",
      headers: { Accept: "text/html", Cookie: "__Host-app_session=%%%not-a-token%%%" },
    });
    expect(res.status).toBe(302);
    const cookie = cookieAttributes(res.headers.get("set-cookie") ?? "");
    expect(cookie.name).toBe("__Host-app_session");
    expect(cookie.value).toBe("");
    expect(cookie.attrs.get("max-age")).toBe("0");
    expect(cookie.attrs.get("path")).toBe("/");
    expect(cookie.attrs.get("httponly")).toBe(true);
    expect(cookie.attrs.get("secure")).toBe(true);
    expect(cookie.attrs.get("samesite")).toBe("None");
    expect(cookie.attrs.get("partitioned")).toBe(true);
    expect(cookie.attrs.has("domain")).toBe(false);
  });

  it("the landing page explains a reason in plain words", async () => {
    const res = await fetch(`${app.url}/?reason=idle`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("You were signed out after inactivity");
    expect(html).toContain("30 minutes");
  });

  it("every response carries the security headers, static files included", async () => {
    const page = await fetch(`${app.url}/`);
    const css = /href="(\/build\/[^"]+\.css)"/.exec(await page.text())?.[1];
    expect(css).toBeTruthy();
    for (const res of [page, await fetch(`${app.url}${css}`), await fetch(`${app.url}/healthz`)]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors/);
    }
    expect(page.headers.get("content-security-policy")).toContain("https://admin.shopify.com");
  });

  it("GET /logout is not allowed (no GET changes state)", async () => {
    const res = await fetch(`${app.url}/logout`);
    expect(res.status).toBe(405);
  });

  it("a body refused before it was read gets its answer, and the kept-alive connection serves the next request", async () => {
    // One socket, kept alive: each request goes over the connection the one before used.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${app.url}/webhooks/shopify`,
          { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-Shopify-Hmac-Sha256": "x" } },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    try {
      for (let round = 0; round < 3; round++) {
        expect(await post(`{"pad":"${"x".repeat(300_000)}"}`)).toBe(413); // answered from Content-Length alone
        expect(await post("{}")).toBe(401);
      }
    } finally {
      agent.destroy();
    }
  });
});

describe("start-up settings", () => {
  it("production refuses to start without SESSION_SECRET and TOKEN_ENCRYPTION_KEY, naming them", async () => {
    const { code, output } = await startAppExpectingFailure({
      NODE_ENV: "production",
      APP_URL: "https://app.example",
      PGLITE_DIR: "memory://",
    });
    expect(code).toBe(1);
    expect(output).toContain("SESSION_SECRET");
    expect(output).toContain("TOKEN_ENCRYPTION_KEY");
    expect(output).not.toMatch(/at .*\.js:\d+/); // a message, not a stack
  });

  it("a bad value stops the server with a message naming the variable", async () => {
    const { code, output } = await startAppExpectingFailure({
      ...TEST_APP_ENV,
      APP_SESSION_IDLE_MINUTES: "soon",
    });
    expect(code).toBe(1);
    expect(output).toContain("APP_SESSION_IDLE_MINUTES");
  });
});

const withPostgres = postgresAvailable();

describe.runIf(withPostgres)("sessions over HTTP on PostgreSQL", () => {
  let shared: SharedPostgresApp;
  let app: RunningApp;
  let store: Store;

  beforeAll(async () => {
    shared = await startAppOnPostgres();
    app = shared.app;
    store = shared.store;
  });
  afterAll(async () => {
    await shared?.close();
  });

  const sessionCookie = () => signInDirect(store, { organizationName: "HTTP Winery", userName: "Ada" });

  it("a valid cookie opens the dashboard; the response is not cacheable", async () => {
    const { cookie } = await sessionCookie();
    const res = await fetch(`${app.url}/app`, { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("HTTP Winery");
    expect(html).toContain("Ada");
  });

  it("the app session token works as Authorization: Bearer for API clients", async () => {
    const { token } = await sessionCookie();
    const res = await fetch(`${app.url}/app?_data=routes%2Fapp._index`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ client: "HTTP Winery", platform: "commerce7" });
  });

  it("POST /logout destroys the row, clears the cookie and lands on /?reason=logged_out", async () => {
    const { cookie, session, client } = await sessionCookie();
    const res = await fetch(`${app.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: cookie, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: session.csrfToken }),
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/?reason=logged_out&platform=commerce7&tenant=${client.externalId}`);
    const cleared = cookieAttributes(res.headers.get("set-cookie") ?? "");
    expect(cleared).toMatchObject({ name: "__Host-app_session", value: "" });
    expect(cleared.attrs.get("max-age")).toBe("0");
    expect(res.headers.get("clear-site-data")).toBe('"cookies"');
    const rows = await shared.sql.query("select id from app_sessions where id = $1", [session.id]);
    expect(rows).toHaveLength(0);
    const after = await fetch(`${app.url}/app`, { headers: { Cookie: cookie, Accept: "application/json" } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: "unauthenticated" });
  });

});

describe("database down", () => {
  let app: RunningApp;
  beforeAll(async () => {
    // Nothing listens on port 1: every connection is refused at once.
    app = await startApp({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("/healthz answers 503 with a JSON reason", async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "unavailable", reason: expect.any(String) });
  });

  it("a request with a session cookie gets 503 JSON, not a 500 with a stack", async () => {
    const cookie = (await createSessionCookie(generateSessionToken())).split(";")[0];
    await expectUnavailableJson(await fetch(`${app.url}/app`, { headers: { Cookie: cookie, Accept: "application/json" } }));
  });

  it("a document request gets a 503 page that says so", async () => {
    const cookie = (await createSessionCookie(generateSessionToken())).split(";")[0];
    const res = await fetch(`${app.url}/app`, { headers: { Cookie: cookie, Accept: "text/html" } });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("temporarily unavailable");
  });
});
