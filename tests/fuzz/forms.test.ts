/**
 * Fuzzing the app's form posts over real HTTP: any mix of fields, CSRF
 * tokens and origin headers gets a clear answer (never a 5xx), and nothing
 * changes unless the request carried the session's own CSRF token from the
 * app's own origin.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAvailable } from "../support/databases";
import { signInDirect, startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";
import { fuzz, FUZZ_TIMEOUT_MS } from "./support";

describe.runIf(postgresAvailable())("fuzzing form posts", { timeout: FUZZ_TIMEOUT_MS }, () => {
  let shared: SharedPostgresApp;
  beforeAll(async () => {
    shared = await startAppOnPostgres();
  });
  afterAll(async () => {
    await shared?.close();
  });

  it("never answers 5xx and changes nothing without the session's CSRF token from the app's origin", async () => {
    const me = await signInDirect(shared.store, { organizationName: "Original", userId: "fuzz" });
    const other = await signInDirect(shared.store, { externalId: me.client.externalId, userId: "fuzz" });
    const live = async () =>
      (await shared.sql.query<{ n: string }>("select count(*)::text as n from app_sessions where revoked_at is null and client_id = $1", [me.client.id]))[0].n;
    const orgName = async () =>
      (await shared.sql.query<{ o: string }>("select organization_name as o from clients where id = $1", [me.client.id]))[0].o;
    const liveBefore = await live();

    const field = fc.oneof(fc.string({ maxLength: 120 }), fc.constantFrom("", "revoke", "revoke_others", "remember_me", other.session.id));
    await fuzz(
      "forms",
      fc.record({
        path: fc.constantFrom("/app/settings", "/app/sessions", "/logout", "/app/settings?_data=routes%2Fapp.settings", "/app/sessions?index"),
        fields: fc.dictionary(fc.constantFrom("intent", "sessionId", "organizationName", "csrf", "x", "_action"), field, { maxKeys: 5 }),
        csrf: fc.oneof(fc.constant(null), fc.string({ maxLength: 80 }), fc.constant(me.session.csrfToken.slice(0, -1))),
        site: fc.constantFrom(null, "cross-site", "same-site", "none", "garbage"),
        origin: fc.constantFrom(null, "https://evil.example", "null", "not a url"),
      }),
      async ({ path, fields, csrf, site, origin }) => {
        const body = new URLSearchParams(fields);
        if (csrf !== null) body.set("csrf", csrf);
        else body.delete("csrf");
        const headers: Record<string, string> = {
          Cookie: me.cookie,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        };
        if (site) headers["Sec-Fetch-Site"] = site;
        if (origin) headers.Origin = origin;
        const res = await fetch(`${shared.app.url}${path}`, { method: "POST", redirect: "manual", headers, body });
        await res.body?.cancel();
        expect(res.status).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(400);
      },
    );

    expect(await orgName()).toBe("Original");
    expect(await live()).toBe(liveBefore);
    // The session survived the barrage: the fuzzer never logged it out either.
    expect((await fetch(`${shared.app.url}/app`, { headers: { Cookie: me.cookie } })).status).toBe(200);
  });
});
