/**
 * Every protected route is protected. Remix runs child loaders in parallel
 * with the layout's, so a child that forgets requireAppSession would serve
 * its data to anyone. This enumerates every route module of the BUILT app
 * that has a loader or an action, requests each without a session, and fails
 * on any 2xx answer — except an explicit list of public routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { routesWithHandlers, urlPath } from "../support/routes";

/** Routes that answer without a session on purpose, and why. */
const PUBLIC_ROUTES: Record<string, string> = {
  "routes/_index": "the landing page that explains why a merchant is not signed in",
  "routes/healthz": "liveness and database reachability for the load balancer",
  "routes/logout": "logging out without a session has nothing to end (API clients get {ok:true})",
  "routes/auth.session-handoff":
    "redeems the entry's one-time handoff code, its own credential (single use, 60 s, hashed; same-origin POST only); 401 without a valid one",
};
/** Route id prefixes that are public by design (each authenticates its caller another way or is dev-only). */
const PUBLIC_PREFIXES: Record<string, string> = {
  "routes/sandbox.": "the platform sandbox: development and tests only, 404 in production",
};

function isPublic(id: string) {
  return id in PUBLIC_ROUTES || Object.keys(PUBLIC_PREFIXES).some((prefix) => id.startsWith(prefix));
}

describe("route audit: no protected route answers 2xx without a session", async () => {
  const { routes, withHandlers } = await routesWithHandlers();
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("finds the app's routes (the audit is not vacuous)", () => {
    const ids = withHandlers.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(["routes/app", "routes/app._index", "routes/app.settings", "routes/app.sessions", "routes/logout"]));
  });

  for (const route of withHandlers.filter((r) => !isPublic(r.id))) {
    const target = urlPath(routes, route);
    const query = route.index ? "?index" : "";

    if (route.module.loader) {
      it(`GET ${target} (${route.id}) as a document and as data`, async () => {
        const doc = await fetch(`${app.url}${target}`, { redirect: "manual", headers: { Accept: "text/html" } });
        expect(doc.status, `${route.id} served a page without a session`).not.toBeLessThan(300);
        const data = await fetch(`${app.url}${target}?_data=${encodeURIComponent(route.id)}`, { redirect: "manual" });
        expect(data.status, `${route.id} served data without a session`).not.toBeLessThan(300);
        expect(data.status).toBeLessThan(500);
      });
    }
    if (route.module.action) {
      it(`POST ${target} (${route.id})`, async () => {
        const res = await fetch(`${app.url}${target}${query}`, {
          method: "POST",
          redirect: "manual",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
          body: "intent=revoke_others&organizationName=Hacked",
        });
        expect(res.status, `${route.id} ran its action without a session`).not.toBeLessThan(300);
        expect(res.status).toBeLessThan(500);
      });
    }
  }
});
