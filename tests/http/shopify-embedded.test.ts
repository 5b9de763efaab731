/**
 * The app inside the (sandbox) Shopify admin, over real HTTP against the
 * built app: the admin's entry, App Bridge's bearer requests, stale tokens
 * bounced without loops, the embedding headers, and the proof that moving
 * around the app after the entry makes no Shopify call at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import {
  adminIframeSrc,
  browserGet,
  cookiesOf,
  local,
  platformCalls,
  sandboxSessionToken,
  storeOf,
  uniqueShop,
} from "../support/shopify";

const DATA = "_data=routes%2Fapp._index";

describe("the app inside the Shopify admin (sandbox)", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Open the app from the sandbox admin as a browser would. */
  async function openFromAdmin(shop: string, query: Record<string, string> = {}) {
    const src = await adminIframeSrc(app, storeOf(shop), query);
    const res = await browserGet(app, src);
    return { src, res, cookie: cookiesOf(res) };
  }

  it("the admin's entry installs a new shop (token exchange) and shows the dashboard with a session cookie", async () => {
    const shop = uniqueShop("entry");
    const before = await platformCalls(app);
    const { res, cookie } = await openFromAdmin(shop);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Dashboard");
    expect(html).toContain(shop.split(".")[0].split("-")[0].replace(/^./, (c) => c.toUpperCase())); // the shop's name
    expect(cookie).toMatch(/^__Host-app_session=/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const after = await platformCalls(app);
    expect(after.byKind["oauth.token_exchange"] - (before.byKind["oauth.token_exchange"] ?? 0)).toBe(1);
  });

  it("embedded pages load App Bridge first (the sandbox's stand-in here) with the app's API key", async () => {
    const { res } = await openFromAdmin(uniqueShop("bridge"));
    const html = await res.text();
    const head = html.slice(0, html.indexOf("</head>"));
    expect(head).toMatch(/<meta name="shopify-api-key" content="sandbox-shopify-api-key"/);
    expect(head.indexOf("/sandbox/shopify/app-bridge.js")).toBeGreaterThan(0);
    expect(head.indexOf("<script")).toBe(head.indexOf('<script src="/sandbox/shopify/app-bridge.js"'));
    const script = await fetch(`${app.url}/sandbox/shopify/app-bridge.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(await script.text()).toContain("X-Shopify-Retry-Invalid-Session-Request");
  });

  it("embedded responses may be framed by the verified shop and the admin only, never by a shop named in the URL alone", async () => {
    const shop = uniqueShop("frame");
    const { res } = await openFromAdmin(shop);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`frame-ancestors`);
    expect(csp).toContain(`https://${shop}`);
    expect(csp).toContain("https://admin.shopify.com");
    expect(csp).not.toContain("*.myshopify.com");
    expect(csp).not.toContain("commerce7.com"); // a Shopify session's page is no Commerce7 admin's to frame

    const landing = await browserGet(app, "/?shop=attacker.myshopify.com");
    expect(landing.headers.get("content-security-policy")).not.toContain("attacker.myshopify.com");
  });

  it("after the entry, pages and data requests by cookie and by App Bridge bearer make zero Shopify calls", async () => {
    const shop = uniqueShop("zero");
    const { cookie } = await openFromAdmin(shop);
    const before = await platformCalls(app);

    for (let round = 0; round < 3; round++) {
      const page = await browserGet(app, "/app", { cookie });
      expect(page.status).toBe(200);
      const data = await browserGet(app, `/app?${DATA}`, { cookie, accept: "*/*" });
      expect(data.status).toBe(200);
      expect(await data.json()).toMatchObject({ platform: "shopify" });
      const bearer = await browserGet(app, `/app?${DATA}`, { bearer: await sandboxSessionToken(app, shop), accept: "*/*" });
      expect(bearer.status).toBe(200);
      expect(await bearer.json()).toMatchObject({ platform: "shopify" });
    }
    expect(await platformCalls(app)).toEqual(before);
  });

  it("a bearer request works with no cookie at all (third-party cookies blocked)", async () => {
    const shop = uniqueShop("nocookie");
    await openFromAdmin(shop);
    const res = await browserGet(app, `/app?${DATA}`, { bearer: await sandboxSessionToken(app, shop, { user: "77" }), accept: "*/*" });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a data request with an expired or forged session token gets 401 and the retry header, never a 500", async () => {
    const shop = uniqueShop("stale");
    await openFromAdmin(shop);
    const token = await sandboxSessionToken(app, shop);
    const [header, payload] = token.split(".");
    for (const bad of [`${header}.${payload}.AAAA`, `${header}.${payload}.`, "eyJhbGciOiJub25lIn0.eyJkZXN0IjoiaHR0cHM6Ly94Lm15c2hvcGlmeS5jb20ifQ."]) {
      const res = await browserGet(app, `/app?${DATA}`, { bearer: bad, accept: "*/*" });
      expect(res.status).toBe(401);
      expect(res.headers.get("x-shopify-retry-invalid-session-request")).toBe("1");
      expect(await res.json()).toMatchObject({ error: "unauthenticated" });
    }
  });

  it("a page load with a stale id_token bounces for a fresh one, and the fresh one gets in", async () => {
    const shop = uniqueShop("bounce");
    const { src } = await openFromAdmin(shop);
    const stale = new URL(src);
    const [header, payload] = (stale.searchParams.get("id_token") as string).split(".");
    stale.searchParams.set("id_token", `${header}.${payload}.bm90LXRoZS1zaWduYXR1cmU`);

    const res = await browserGet(app, stale.toString());
    expect(res.status).toBe(302);
    const bounce = new URL(res.headers.get("location") as string, "https://app.test.example");
    expect(bounce.pathname).toBe("/auth/shopify/session-token");
    expect(bounce.searchParams.get("shop")).toBe(shop);
    const reload = new URL(bounce.searchParams.get("shopify-reload") as string);
    expect(reload.origin).toBe("https://app.test.example");
    expect(reload.searchParams.has("id_token")).toBe(false);

    const page = await browserGet(app, bounce.toString());
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/sandbox/shopify/app-bridge.js"');

    // What App Bridge does on the bounce page: back to shopify-reload with a fresh id_token.
    reload.searchParams.set("id_token", await sandboxSessionToken(app, shop));
    const back = await browserGet(app, reload.toString());
    expect(back.status).toBe(200);
    expect(cookiesOf(back)).toMatch(/^__Host-app_session=/);
  });

  it("a page that comes back from a bounce with a bad token again is not bounced again (no loop)", async () => {
    const shop = uniqueShop("loop");
    const { src } = await openFromAdmin(shop);
    const first = new URL(src);
    first.searchParams.set("id_token", "eyJhbGciOiJIUzI1NiJ9.eyJkZXN0IjoiaHR0cHM6Ly94In0.c2ln");
    const bounced = await browserGet(app, first.toString());
    const reload = new URL(new URL(bounced.headers.get("location") as string, app.url).searchParams.get("shopify-reload") as string);
    reload.searchParams.set("id_token", "eyJhbGciOiJIUzI1NiJ9.eyJkZXN0IjoiaHR0cHM6Ly94In0.c2ln");
    const again = await browserGet(app, reload.toString());
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe("/?reason=unauthenticated");
  });

  it("an id_token for another shop does not open this shop", async () => {
    const shop = uniqueShop("victim");
    const { src } = await openFromAdmin(shop);
    const forged = new URL(src);
    forged.searchParams.set("id_token", await sandboxSessionToken(app, uniqueShop("attacker")));
    const res = await browserGet(app, forged.toString());
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/auth\/shopify\/session-token\?/);
    expect(cookiesOf(res)).toBe("");
  });

  it("the bounce page refuses to send a fresh token anywhere but this app", async () => {
    const res = await browserGet(app, `/auth/shopify/session-token?shop=x.myshopify.com&shopify-reload=${encodeURIComponent("https://evil.example/steal")}`);
    expect(res.status).toBe(400);
  });

  it("an embedded page without an id_token but with this shop's cookie opens; without the cookie it bounces", async () => {
    const shop = uniqueShop("notoken");
    const { cookie } = await openFromAdmin(shop);
    const path = `/app?embedded=1&shop=${shop}&host=abc`;
    expect((await browserGet(app, path, { cookie })).status).toBe(200);
    const res = await browserGet(app, path);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/auth\/shopify\/session-token\?/);
  });

  it("an offline token about to expire is refreshed once, even when several entries arrive together", async () => {
    const shop = uniqueShop("refresh");
    const configure = (accessTokenTtlSeconds: number) =>
      fetch(`${app.url}/sandbox/shopify/shops/${shop}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ accessTokenTtlSeconds }),
      });
    expect((await configure(120)).status).toBe(200); // the install's token expires within the 5-minute window
    await openFromAdmin(shop);
    await configure(3600);
    const before = await platformCalls(app);

    const entries = await Promise.all(Array.from({ length: 5 }, () => openFromAdmin(shop, { sid: crypto.randomUUID() })));
    for (const { res } of entries) expect(res.status).toBe(200);
    const after = await platformCalls(app);
    expect(after.byKind["oauth.refresh_token"] - (before.byKind["oauth.refresh_token"] ?? 0)).toBe(1);
    expect(after.total - before.total).toBe(1);

    await openFromAdmin(shop);
    expect((await platformCalls(app)).total).toBe(after.total);
  });

  it("the sandbox admin frames the app with Shopify's signed parameters", async () => {
    const src = new URL(await adminIframeSrc(app, "params-check"));
    expect(local(app, src.toString())).toMatch(/\/app\?/);
    expect([...src.searchParams.keys()].sort()).toEqual(["embedded", "hmac", "host", "id_token", "locale", "session", "shop", "timestamp"]);
  });
});
