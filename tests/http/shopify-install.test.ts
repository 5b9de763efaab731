/**
 * Install from the (sandbox) Shopify App Store over real HTTP: the OAuth code
 * grant from /install/shopify to the app inside the admin, and every forged
 * or replayed callback refused before anything is created.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signSandboxQuery } from "~/lib/sandbox/shopify.server";
import { startApp, type RunningApp } from "../support/app-server";
import {
  adminIframeSrc,
  BROWSER_UA,
  browserGet,
  cookiesOf,
  local,
  platformCalls,
  sandboxSessionToken,
  storeOf,
  uniqueShop,
} from "../support/shopify";

describe("install from the Shopify App Store (sandbox)", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** /install/shopify → the authorize page → approve: the callback URL Shopify sends the browser to, and the state cookies. */
  async function authorize(shop: string) {
    const begin = await browserGet(app, `/install/shopify?shop=${shop}`);
    expect(begin.status).toBe(302);
    const stateCookies = cookiesOf(begin);
    const authorizeUrl = begin.headers.get("location") as string;
    expect(authorizeUrl).toMatch(/^\/sandbox\/shopify\/authorize\?/);

    const consent = await browserGet(app, authorizeUrl);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain("Install app");

    const approve = await fetch(`${app.url}/sandbox/shopify/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: { "User-Agent": BROWSER_UA, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URL(authorizeUrl, app.url).searchParams,
    });
    expect(approve.status).toBe(302);
    const callback = approve.headers.get("location") as string;
    expect(callback).toMatch(/^https:\/\/app\.test\.example\/install\/shopify\/callback\?/);
    return { callback, stateCookies };
  }

  /** Nothing installed for this shop: App Bridge's bearer request finds no installed client. */
  async function expectNotInstalled(shop: string) {
    const res = await browserGet(app, "/app?_data=routes%2Fapp._index", { bearer: await sandboxSessionToken(app, shop), accept: "*/*" });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "unauthenticated" });
  }

  it("the whole install: authorize, callback, then the app inside the admin, with no token exchange at the entry", async () => {
    const shop = uniqueShop("install");
    const before = await platformCalls(app);
    const { callback, stateCookies } = await authorize(shop);
    expect(stateCookies).toMatch(/shopify_app_state=/);

    const done = await browserGet(app, callback, { cookie: stateCookies });
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe(`/sandbox/shopify/admin/${storeOf(shop)}`);
    expect(done.headers.get("cache-control")).toBe("no-store");
    const setCookies = done.headers.getSetCookie();
    expect(setCookies.some((c) => c.startsWith("__Host-app_session="))).toBe(true);
    const afterInstall = await platformCalls(app);
    expect(afterInstall.byKind["oauth.authorization_code"] - (before.byKind["oauth.authorization_code"] ?? 0)).toBe(1);

    // The admin frames the app: the shop is installed already, so the entry exchanges nothing.
    const entry = await browserGet(app, await adminIframeSrc(app, storeOf(shop)));
    expect(entry.status).toBe(200);
    expect(await entry.text()).toContain("Dashboard");
    const afterEntry = await platformCalls(app);
    expect(afterEntry.byKind["oauth.token_exchange"] ?? 0).toBe(afterInstall.byKind["oauth.token_exchange"] ?? 0);
  });

  it("a replayed callback (state already used) is refused", async () => {
    const shop = uniqueShop("replay");
    const { callback, stateCookies } = await authorize(shop);
    expect((await browserGet(app, callback, { cookie: stateCookies })).status).toBe(302);
    const before = await platformCalls(app);
    const replay = await browserGet(app, callback, { cookie: stateCookies });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('data-error="invalid_state"');
    expect(cookiesOf(replay)).not.toMatch(/app_session/);
    expect(await platformCalls(app)).toEqual(before);
  });

  it("a callback whose HMAC is off by one bit is refused with 401, and nothing is created", async () => {
    const shop = uniqueShop("hmac");
    const { callback, stateCookies } = await authorize(shop);
    const url = new URL(callback);
    const hmac = url.searchParams.get("hmac") as string;
    const flipped = (Number.parseInt(hmac.at(-1) as string, 16) ^ 1).toString(16);
    url.searchParams.set("hmac", hmac.slice(0, -1) + flipped);
    const res = await browserGet(app, url.toString(), { cookie: stateCookies });
    expect(res.status).toBe(401);
    expect(cookiesOf(res)).toBe("");
    await expectNotInstalled(shop);
  });

  it("a callback for another shop than the state was issued for is refused, and nothing is created", async () => {
    const victim = uniqueShop("victim");
    const foreign = uniqueShop("foreign");
    const { callback, stateCookies } = await authorize(victim);
    const params = Object.fromEntries(new URL(callback).searchParams);
    // Correctly signed by "Shopify", but for a different shop than the nonce.
    const forged = signSandboxQuery({ ...params, shop: foreign, timestamp: String(Math.floor(Date.now() / 1000)) });
    const res = await browserGet(app, `/install/shopify/callback?${forged}`, { cookie: stateCookies });
    expect(res.status).toBe(400);
    await expectNotInstalled(foreign);
    await expectNotInstalled(victim);
  });

  it("a callback without the browser's state cookie (started elsewhere) is refused, and nothing is created", async () => {
    const shop = uniqueShop("nocookie");
    const { callback } = await authorize(shop);
    const res = await browserGet(app, callback);
    expect(res.status).toBe(400);
    await expectNotInstalled(shop);
  });

  it("a callback with a state this app never issued is refused", async () => {
    const shop = uniqueShop("unknown-state");
    const { callback, stateCookies } = await authorize(shop);
    const params = Object.fromEntries(new URL(callback).searchParams);
    const forged = signSandboxQuery({ ...params, state: "0".repeat(64) });
    expect((await browserGet(app, `/install/shopify/callback?${forged}`, { cookie: stateCookies })).status).toBe(400);
  });

  it("refuses a shop that is not a Shopify domain", async () => {
    for (const shop of ["evil.example.com", "", "shop.myshopify.com.evil.com", "%2F%2Fevil.com"]) {
      const res = await browserGet(app, `/install/shopify?shop=${shop}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
  });

  it("inside the admin's iframe, the install first leaves the iframe through App Bridge", async () => {
    const shop = uniqueShop("framed");
    const res = await browserGet(app, `/install/shopify?shop=${shop}&embedded=1`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/sandbox/shopify/app-bridge.js");
    expect(html).toContain(`window.open("https://app.test.example/install/shopify?shop=${shop}", "_top")`);
  });

  it("bots are not sent through OAuth, and are told why", async () => {
    for (const agent of ["Googlebot/2.1 (+http://www.google.com/bot.html)", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"]) {
      const res = await fetch(local(app, `/install/shopify?shop=${uniqueShop("bot")}`), { redirect: "manual", headers: { "User-Agent": agent } });
      expect(res.status, agent).toBe(410);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).toContain("cannot be followed by an automated client");
    }
  });
});

describe("in production", () => {
  const PRODUCTION = { NODE_ENV: "production", APP_URL: "https://app.test.example" };

  it("without Shopify credentials there is no sandbox and no Shopify install", async () => {
    const app = await startApp(PRODUCTION);
    try {
      for (const path of ["/sandbox/shopify", "/sandbox/shopify/app-bridge.js", "/sandbox/shopify/calls", "/sandbox/shopify/session-token?shop=a.myshopify.com"]) {
        expect((await fetch(`${app.url}${path}`)).status).toBe(404);
      }
      expect((await browserGet(app, `/install/shopify?shop=${uniqueShop("prod")}`)).status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  it("with Shopify credentials, pages load the real App Bridge from Shopify's CDN with the app's API key", async () => {
    const app = await startApp({ ...PRODUCTION, SHOPIFY_API_KEY: "prod-api-key", SHOPIFY_API_SECRET: "prod-api-secret-0123456789" });
    try {
      expect((await fetch(`${app.url}/sandbox/shopify`)).status).toBe(404);
      const reload = encodeURIComponent("https://app.test.example/app?shop=a.myshopify.com");
      const res = await browserGet(app, `/auth/shopify/session-token?shop=a.myshopify.com&shopify-reload=${reload}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js" data-api-key="prod-api-key"></script>');
      expect(html).toContain('<meta name="shopify-api-key" content="prod-api-key">');
    } finally {
      await app.stop();
    }
  });
});
