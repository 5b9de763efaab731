/**
 * The CSRF token follows the session token: when "keep me signed in" gives
 * the session a new token, the forms rendered for the old one stop working,
 * and the page's next load carries the new token, which does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { cookieActor, enterCommerce7, getAs, keepMeSignedIn, type Actor } from "../support/sign-in";
import { BROWSER_UA } from "../support/shopify";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ ...COMMERCE7_TEST_ENV, RATE_LIMIT_ENTRY_CLIENT: "off" });
  await commerce7Sandbox(app).control({ reset: true, virtualTime: true });
});
afterAll(async () => {
  await app?.stop();
});

async function csrfTokenOf(actor: Actor): Promise<string> {
  const res = await getAs(app, actor, "/app?_data=routes%2Fapp");
  expect(res.status).toBe(200);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

/** Save settings from the app's own page with this form token. */
async function saveSettings(actor: Actor, csrf: string): Promise<Response> {
  return fetch(`${app.url}/app/settings?_data=routes%2Fapp.settings`, {
    method: "POST",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      "User-Agent": BROWSER_UA,
      ...(await actor.credential()),
    },
    body: new URLSearchParams({ csrf, organizationName: "Rotated Winery" }),
  });
}

describe("keep me signed in", () => {
  it("gives the session a new CSRF token with its new token: the old form token is refused, the new one accepted", async () => {
    const tenantId = `csrf-winery-${Date.now()}`;
    await commerce7Sandbox(app).activate(tenantId);
    const before = cookieActor("before", (await enterCommerce7(app, tenantId, "me@winery.example")).cookie);
    const oldCsrf = await csrfTokenOf(before);

    const after = cookieActor("after", await keepMeSignedIn(app, before));
    const newCsrf = await csrfTokenOf(after);
    expect(newCsrf).not.toBe(oldCsrf);

    const stale = await saveSettings(after, oldCsrf);
    expect(stale.status).toBe(403);
    expect(await stale.json()).toMatchObject({ error: "csrf", message: expect.any(String) });
    expect((await saveSettings(after, newCsrf)).status).toBe(200);
  });
});
