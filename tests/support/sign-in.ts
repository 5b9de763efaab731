/**
 * Every way the running app (with its platform sandboxes) makes an app
 * session, as a browser or App Bridge does it over HTTP, each giving an
 * Actor: something that can send the app's own requests with that session.
 * Used by the authorization suite (tests/http/authorization.test.ts).
 */
import { expect } from "vitest";
import type { RunningApp } from "./app-server";
import { commerce7Sandbox, sessionTokenOf } from "./commerce7";
import { cookiePair } from "./sessions";
import { adminIframeSrc, BROWSER_UA, browserGet, cookiesOf, sandboxSessionToken, storeOf } from "./shopify";

export interface Actor {
  label: string;
  /** The headers that prove this session (a cookie, our Bearer token, or a fresh App Bridge token). */
  credential(): Promise<Record<string, string>>;
}

export function cookieActor(label: string, cookie: string): Actor {
  return { label, credential: async () => ({ Cookie: cookie }) };
}

export function bearerActor(label: string, token: string): Actor {
  return { label, credential: async () => ({ Authorization: `Bearer ${token}` }) };
}

/** App Bridge: a fresh Shopify session token on every request. */
export function appBridgeActor(app: RunningApp, label: string, shop: string, staff: { user: string; sid?: string }): Actor {
  const query: Record<string, string> = { user: staff.user, ...(staff.sid ? { sid: staff.sid } : {}) };
  return { label, credential: async () => ({ Authorization: `Bearer ${await sandboxSessionToken(app, shop, query)}` }) };
}

/** A data request of the app's own pages with this session. */
export async function getAs(app: RunningApp, actor: Actor, path: string): Promise<Response> {
  return fetch(`${app.url}${path}`, {
    redirect: "manual",
    headers: { Accept: "application/json", "User-Agent": BROWSER_UA, ...(await actor.credential()) },
  });
}

/** A form POST from the app's own page (same origin, the session's CSRF token), as Remix submits it. */
export async function postAs(app: RunningApp, actor: Actor, path: string, form: Record<string, string>): Promise<Response> {
  const layout = await getAs(app, actor, "/app?_data=routes%2Fapp");
  const csrf = layout.status === 200 ? ((await layout.json()) as { csrfToken: string }).csrfToken : "";
  return fetch(`${app.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      "User-Agent": BROWSER_UA,
      ...(await actor.credential()),
    },
    body: new URLSearchParams({ csrf, ...form }),
  });
}

// --- Shopify -------------------------------------------------------------------

/** Install from the (sandbox) App Store: /install/shopify, approve, callback. The callback's cookies. */
export async function installShopifyByOAuth(app: RunningApp, shop: string): Promise<string> {
  const begin = await browserGet(app, `/install/shopify?shop=${shop}`);
  expect(begin.status).toBe(302);
  const stateCookies = cookiesOf(begin);
  const authorizeUrl = begin.headers.get("location") as string;
  const approve = await fetch(`${app.url}/sandbox/shopify/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "User-Agent": BROWSER_UA, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URL(authorizeUrl, app.url).searchParams,
  });
  expect(approve.status).toBe(302);
  const done = await browserGet(app, approve.headers.get("location") as string, { cookie: stateCookies });
  expect(done.status).toBe(302);
  const session = done.headers.getSetCookie().find((c) => /app_session=[^;]/.test(c));
  if (!session) throw new Error("the install callback set no app session cookie");
  return cookiePair(session);
}

/** The Shopify admin frames the app for this staff member (and admin login `sid`): the entry's cookie. */
export async function enterShopify(app: RunningApp, shop: string, staff: { user: string; sid?: string }): Promise<string> {
  const query: Record<string, string> = { user: staff.user, ...(staff.sid ? { sid: staff.sid } : {}) };
  const entry = await browserGet(app, await adminIframeSrc(app, storeOf(shop), query));
  expect(entry.status).toBe(200);
  const session = entry.headers.getSetCookie().find((c) => /app_session=[^;]/.test(c));
  if (!session) throw new Error("the Shopify entry set no app session cookie");
  return cookiePair(session);
}

// --- Commerce7 -------------------------------------------------------------------

/** The Commerce7 admin opens the app for this user (by e-mail): the cookie and the page's handoff code. */
export async function enterCommerce7(
  app: RunningApp,
  tenantId: string,
  email: string,
): Promise<{ cookie: string; token: string; handoffCode: string }> {
  const { response } = await commerce7Sandbox(app).enter({ tenantId, email, firstName: email.split("@")[0] });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const handoffCode = /"handoff":"([A-Za-z0-9_-]+)"/.exec(await response.text())?.[1];
  if (!handoffCode) throw new Error("the Commerce7 entry page carries no handoff code");
  return { cookie: cookiePair(setCookie), token: sessionTokenOf(setCookie), handoffCode };
}

/** The page redeems its handoff code without the cookie (the browser refused it): the session's new token. */
export async function redeemHandoff(app: RunningApp, code: string): Promise<string> {
  const res = await fetch(`${app.url}/auth/session-handoff`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "Sec-Fetch-Site": "same-origin" },
    body: JSON.stringify({ code }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** "Keep me signed in" on /app/sessions: the rotated session's new cookie. */
export async function keepMeSignedIn(app: RunningApp, actor: Actor): Promise<string> {
  const res = await postAs(app, actor, "/app/sessions?_data=routes%2Fapp.sessions", { intent: "remember_me" });
  expect(res.status).toBe(200);
  const session = res.headers.getSetCookie().find((c) => /app_session=[^;]/.test(c));
  if (!session) throw new Error("keep me signed in set no new cookie");
  return cookiePair(session);
}
