/**
 * Shared helpers for session tests: requests as a browser or an API client
 * would send them, and the response a refused request gets.
 */
import { expect } from "vitest";
import type { Store } from "~/lib/db/store.server";
import { now } from "~/lib/clock.server";

export const APP = "https://app.test.example";

/** Attributes of a Set-Cookie header, lower-cased names. */
export function cookieAttributes(setCookie: string) {
  const [pair, ...attrs] = setCookie.split(";").map((s) => s.trim());
  const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
  const map = new Map<string, string | true>(
    attrs.map((a): [string, string | true] => {
      const i = a.indexOf("=");
      return i < 0 ? [a.toLowerCase(), true] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
    }),
  );
  return { name, value, attrs: map };
}

/** `name=value` of a Set-Cookie header, as a browser would send it back. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(";")[0];
}

export function documentRequest(path: string, init: { cookie?: string; headers?: Record<string, string> } = {}) {
  const headers = new Headers({ Accept: "text/html,application/xhtml+xml", ...init.headers });
  if (init.cookie) headers.set("Cookie", init.cookie);
  return new Request(`${APP}${path}`, { headers });
}

export function dataRequest(path: string, init: { cookie?: string; bearer?: string } = {}) {
  const headers = new Headers({ Accept: "application/json" });
  if (init.cookie) headers.set("Cookie", init.cookie);
  if (init.bearer !== undefined) headers.set("Authorization", `Bearer ${init.bearer}`);
  return new Request(`${APP}${path}`, { headers });
}

/** The Response a protected function threw. Fails the test if it resolved or threw something else. */
export async function refusal(promise: Promise<unknown>): Promise<Response> {
  try {
    await promise;
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(Response);
    return thrown as Response;
  }
  throw new Error("expected the request to be refused, but it was accepted");
}

export async function expectRedirectReason(promise: Promise<unknown>, reason: string) {
  const response = await refusal(promise);
  expect(response.status).toBe(302);
  const location = response.headers.get("Location") ?? "";
  expect(location.startsWith("/?")).toBe(true);
  expect(new URLSearchParams(location.slice(2)).get("reason")).toBe(reason);
  return response;
}

export async function expectJson401(promise: Promise<unknown>, reason: string) {
  const response = await refusal(promise);
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ error: reason, message: expect.any(String) });
  return response;
}

/** A database outage as API clients meet it: 503 JSON with a message, no stack trace. */
export async function expectUnavailableJson(response: Response) {
  expect(response.status).toBe(503);
  const body = await response.json();
  expect(body).toMatchObject({ error: "unavailable", message: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(js|ts):\d+/);
}

let counter = 0;
export async function makeClient(store: Store, platform: "shopify" | "commerce7" = "commerce7") {
  counter += 1;
  return store.upsertClient(
    { platform, externalId: platform === "shopify" ? `shop-${counter}-${process.pid}.myshopify.com` : `tenant-${counter}-${process.pid}`, organizationName: `Org ${counter}` },
    now(),
  );
}
