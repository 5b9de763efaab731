/**
 * The merchant's pages over real HTTP: settings saved and validated, the
 * session inventory (revoke one, revoke the others, keep me signed in), and
 * CSRF on every cookie-authenticated action.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAvailable } from "../support/databases";
import { signInDirect, startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";

const withPostgres = postgresAvailable();

describe.runIf(withPostgres)("merchant pages over HTTP", () => {
  let shared: SharedPostgresApp;
  beforeAll(async () => {
    shared = await startAppOnPostgres();
  });
  afterAll(async () => {
    await shared?.close();
  });

  const url = (path: string) => `${shared.app.url}${path}`;

  /** A form POST as the app's own page sends it (same-origin, with the session's CSRF token). */
  function post(path: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return fetch(url(path), {
      method: "POST",
      redirect: "manual",
      headers: {
        Cookie: cookie,
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        ...headers,
      },
      body: new URLSearchParams(fields),
    });
  }

  async function organizationName(clientId: string) {
    const [row] = await shared.sql.query<{ organization_name: string | null }>(
      "select organization_name from clients where id = $1",
      [clientId],
    );
    return row.organization_name;
  }

  describe("settings", () => {
    it("saves a valid organization name and shows it on the dashboard", async () => {
      const { cookie, session, client } = await signInDirect(shared.store, { organizationName: "Old Name" });
      const res = await post("/app/settings?_data=routes%2Fapp.settings", cookie, {
        csrf: session.csrfToken,
        organizationName: "  Vineyard & Co  ",
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, organizationName: "Vineyard & Co" });
      expect(await organizationName(client.id)).toBe("Vineyard & Co");
      const page = await fetch(url("/app"), { headers: { Cookie: cookie } });
      expect(await page.text()).toContain("Vineyard &amp; Co");
    });

    it("refuses an invalid name with an inline message and changes nothing", async () => {
      const { cookie, session, client } = await signInDirect(shared.store, { organizationName: "Kept" });
      const res = await post("/app/settings?_data=routes%2Fapp.settings", cookie, {
        csrf: session.csrfToken,
        organizationName: "x",
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ ok: false, errors: { organizationName: "Enter at least 2 characters." } });
      expect(await organizationName(client.id)).toBe("Kept");
    });

    it("renders the session's CSRF token into the form", async () => {
      const { cookie, session } = await signInDirect(shared.store);
      const html = await (await fetch(url("/app/settings"), { headers: { Cookie: cookie } })).text();
      expect(html).toContain(`name="csrf" value="${session.csrfToken}"`);
    });
  });

  describe("CSRF", () => {
    const cases: Array<[string, (csrf: string) => { fields: Record<string, string>; headers: Record<string, string> }]> = [
      ["a missing token", () => ({ fields: {}, headers: {} })],
      ["a wrong token", (csrf) => ({ fields: { csrf: csrf.replace(/.$/, (c) => (c === "a" ? "b" : "a")) }, headers: {} })],
      ["another site's page (Sec-Fetch-Site: cross-site)", (csrf) => ({ fields: { csrf }, headers: { "Sec-Fetch-Site": "cross-site" } })],
      ["a sibling subdomain (Sec-Fetch-Site: same-site)", (csrf) => ({ fields: { csrf }, headers: { "Sec-Fetch-Site": "same-site" } })],
    ];

    for (const [label, make] of cases) {
      it(`refuses ${label} with 403 and changes nothing`, async () => {
        const { cookie, session, client } = await signInDirect(shared.store, { organizationName: "Untouched" });
        const { fields, headers } = make(session.csrfToken);
        const res = await post("/app/settings", cookie, { ...fields, organizationName: "Hijacked" }, headers);
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: "csrf" });
        expect(await organizationName(client.id)).toBe("Untouched");
      });
    }

    it("without Sec-Fetch-Site, a foreign Origin is refused and the app's own is accepted", async () => {
      const { cookie, session, client } = await signInDirect(shared.store, { organizationName: "Before" });
      const send = (origin: string) =>
        fetch(url("/app/settings"), {
          method: "POST",
          headers: { Cookie: cookie, Origin: origin, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
          body: new URLSearchParams({ csrf: session.csrfToken, organizationName: "After" }),
        });
      const foreign = await send("https://evil.example");
      expect(foreign.status).toBe(403);
      expect(await foreign.json()).toMatchObject({ error: "csrf" });
      expect((await send("null")).status).toBe(403);
      expect(await organizationName(client.id)).toBe("Before");
      expect((await send(shared.app.url)).status).toBe(200);
      expect(await organizationName(client.id)).toBe("After");
    });

    it("a Bearer-authenticated request needs no CSRF token (browsers never attach that header)", async () => {
      const { token, client } = await signInDirect(shared.store);
      const res = await fetch(url("/app/settings"), {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ organizationName: "Via API" }),
      });
      expect(res.status).toBe(200);
      expect(await organizationName(client.id)).toBe("Via API");
    });

    it("a cross-site logout is refused and the session lives on", async () => {
      const { cookie } = await signInDirect(shared.store);
      const res = await post("/logout", cookie, {}, { "Sec-Fetch-Site": "cross-site" });
      expect(res.status).toBe(403);
      expect((await fetch(url("/app"), { headers: { Cookie: cookie } })).status).toBe(200);
    });
  });

  describe("sessions page", () => {
    async function signInTwice() {
      const laptop = await signInDirect(shared.store, { userId: "ada" });
      const client = laptop.client;
      const phone = await signInDirect(shared.store, {
        externalId: client.externalId,
        userId: "ada",
        userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        ipAddress: "203.0.113.9",
      });
      const colleague = await signInDirect(shared.store, { externalId: client.externalId, userId: "bob" });
      return { laptop, phone, colleague };
    }

    it("lists this user's sessions with device, IP and this device marked", async () => {
      const { laptop, phone, colleague } = await signInTwice();
      const res = await fetch(url("/app/sessions?_data=routes%2Fapp.sessions"), { headers: { Cookie: laptop.cookie } });
      const data = (await res.json()) as { sessions: Array<{ id: string; isCurrent: boolean; ipAddress: string; device: { browser: string; os: string } }> };
      const ids = data.sessions.map((s) => s.id);
      expect(ids).toEqual(expect.arrayContaining([laptop.session.id, phone.session.id]));
      expect(ids).not.toContain(colleague.session.id);
      const mine = data.sessions.find((s) => s.id === laptop.session.id);
      expect(mine).toMatchObject({ isCurrent: true, ipAddress: "198.51.100.4", device: { browser: "Chrome", os: "macOS" } });
      expect(data.sessions.find((s) => s.id === phone.session.id)).toMatchObject({ isCurrent: false, device: { browser: "Safari", os: "iOS" } });

      const html = await (await fetch(url("/app/sessions"), { headers: { Cookie: laptop.cookie } })).text();
      expect(html).toContain("This device");
      expect(html).toContain("Safari on iOS");
    });

    it("revoking another session ends it at its next request, as 'revoked'", async () => {
      const { laptop, phone } = await signInTwice();
      const res = await post("/app/sessions?_data=routes%2Fapp.sessions", laptop.cookie, {
        csrf: laptop.session.csrfToken,
        intent: "revoke",
        sessionId: phone.session.id,
      });
      expect(res.status).toBe(200);
      const next = await fetch(url("/app"), { redirect: "manual", headers: { Cookie: phone.cookie } });
      expect(next.status).toBe(302);
      expect(next.headers.get("location")).toMatch(/^\/\?reason=revoked/);
      expect((await fetch(url("/app"), { headers: { Cookie: laptop.cookie } })).status).toBe(200);
    });

    it("cannot revoke a colleague's session by guessing its id", async () => {
      const { laptop, colleague } = await signInTwice();
      await post("/app/sessions", laptop.cookie, { csrf: laptop.session.csrfToken, intent: "revoke", sessionId: colleague.session.id });
      expect((await fetch(url("/app"), { headers: { Cookie: colleague.cookie } })).status).toBe(200);
    });

    it("'sign out all other sessions' keeps only this one", async () => {
      const { laptop, phone, colleague } = await signInTwice();
      const res = await post("/app/sessions?_data=routes%2Fapp.sessions", laptop.cookie, {
        csrf: laptop.session.csrfToken,
        intent: "revoke_others",
      });
      expect(await res.json()).toEqual({ message: "1 other session signed out." });
      expect((await fetch(url("/app"), { redirect: "manual", headers: { Cookie: phone.cookie } })).status).toBe(302);
      expect((await fetch(url("/app"), { headers: { Cookie: laptop.cookie } })).status).toBe(200);
      expect((await fetch(url("/app"), { headers: { Cookie: colleague.cookie } })).status).toBe(200);
    });

    it("'keep me signed in' rotates the token into a 30-day cookie", async () => {
      const { laptop } = await signInTwice();
      const res = await post("/app/sessions?_data=routes%2Fapp.sessions", laptop.cookie, {
        csrf: laptop.session.csrfToken,
        intent: "remember_me",
      });
      expect(res.status).toBe(200);
      const setCookie = res.headers.get("set-cookie") ?? "";
      expect(setCookie).toMatch(/^__Host-app_session=/);
      expect(setCookie).toMatch(/Max-Age=2592000/);
      expect(res.headers.get("x-app-session-token")).toBeNull(); // cookie sessions never see their token
      const fresh = setCookie.split(";")[0];
      expect(fresh).not.toBe(laptop.cookie);
      expect((await fetch(url("/app"), { redirect: "manual", headers: { Cookie: laptop.cookie } })).status).toBe(302);
      const data = await (await fetch(url("/app?_data=routes%2Fapp._index"), { headers: { Cookie: fresh } })).json();
      expect(data).toMatchObject({ rememberMe: true });
    });
  });
});
