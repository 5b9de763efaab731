/**
 * Over real HTTP against the built app: the Shopify staff member who opens
 * the app from the (sandbox) admin is named on the dashboard and the sessions
 * page, from their online access token, and moving around costs no Shopify call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { adminIframeSrc, browserGet, cookiesOf, platformCalls, storeOf, uniqueShop } from "../support/shopify";

describe("Shopify staff shown by name", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("the dashboard and the sessions page name the staff member and their email; browsing makes no Shopify call", async () => {
    const shop = uniqueShop("names");
    const email = `sam.sommelier@${storeOf(shop)}.example`;
    const entry = await browserGet(app, await adminIframeSrc(app, storeOf(shop)));
    expect(entry.status).toBe(200);
    const dashboard = await entry.text();
    expect(dashboard).toContain("Sam Sommelier");
    expect(dashboard).toContain(email);
    expect(dashboard).not.toContain("staff member 1001");

    const afterEntry = (await platformCalls(app)).total;
    const sessions = await browserGet(app, "/app/sessions", { cookie: cookiesOf(entry) });
    expect(sessions.status).toBe(200);
    const page = await sessions.text();
    expect(page).toContain("Sam Sommelier");
    expect(page).toContain(email);
    expect((await browserGet(app, "/app", { cookie: cookiesOf(entry) })).status).toBe(200);
    expect((await platformCalls(app)).total).toBe(afterEntry);

    // The online access token itself (the sandbox's start shpua_) never reaches a page or a log line.
    for (const text of [dashboard, page, app.output()]) expect(text).not.toMatch(/shpua_[0-9a-f]+/);
  });
});
