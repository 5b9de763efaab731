/**
 * OPT-IN: the Supabase adapter against a real Supabase project, to check the
 * PostgREST stand-in's shapes against the real thing. Set
 *   SUPABASE_TEST_URL=https://<ref>.supabase.co
 *   SUPABASE_TEST_SERVICE_ROLE_KEY=<service_role or sb_secret_ key>
 *   SUPABASE_TEST_ANON_KEY=<anon or sb_publishable_ key>   (optional: the lockdown check)
 * on a throwaway project with the migrations pushed (`supabase db push`).
 * It touches only the rows it creates (a client named real-project-test-*),
 * and deletes them afterwards. Without the settings it is skipped with a
 * message, in CI too: CI has no Supabase project.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { now } from "~/lib/clock.server";
import { DatabaseError } from "~/lib/db/errors.server";
import { Store } from "~/lib/db/store.server";
import { openSupabase } from "~/lib/db/supabase.server";
import { generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { noRpcError } from "../support/postgrest-standin";

const url = process.env.SUPABASE_TEST_URL;
const serviceRoleKey = process.env.SUPABASE_TEST_SERVICE_ROLE_KEY;
const anonKey = process.env.SUPABASE_TEST_ANON_KEY;
const configured = Boolean(url && serviceRoleKey);

if (!configured) {
  console.warn(
    "\n  ⚠ Real Supabase project suite SKIPPED: set SUPABASE_TEST_URL and SUPABASE_TEST_SERVICE_ROLE_KEY " +
      "(a throwaway project with the migrations pushed) to run it. It stays skipped in CI, which has no Supabase project; " +
      "the stand-in suites cover the adapter there.\n",
  );
}

describe.skipIf(!configured)("the Supabase adapter against a real Supabase project", () => {
  let store: Store;
  const externalId = `real-project-test-${randomBytes(4).toString("hex")}`;

  beforeAll(() => {
    store = new Store(openSupabase(url as string, serviceRoleKey as string, { timeoutMs: 15_000 }));
  });
  afterAll(async () => {
    await store?.deleteClient("commerce7", externalId);
    await store?.db.close();
  });

  it("a round trip reaches the database (what /healthz does)", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("a session lives, is found, is revoked and says so: real PostgREST's shapes pass the store's validation", async () => {
    const client = await store.upsertClient({ platform: "commerce7", externalId, organizationName: "Real Project Test" }, now());
    const tokenHash = hashSessionToken(generateSessionToken());
    const session = await store.createAppSession(
      { tokenHash, clientId: client.id, userName: "Ada", data: { check: true }, ...sessionLifetimes(false) },
      now(),
    );
    const found = await store.validateAppSession(tokenHash, 60, now());
    expect(found.status).toBe("valid");
    expect(found.session).toMatchObject({ id: session.id, clientId: client.id, userName: "Ada", data: { check: true } });
    expect(await store.listAppSessions(client.id, null, now())).toHaveLength(1);
    expect(await store.revokeAppSessions({ clientId: client.id }, now())).toBe(1);
    expect((await store.validateAppSession(tokenHash, 60, now())).status).toBe("revoked");
    await store.recordSessionEvent({ event: "real-project-test", clientId: client.id }, now()); // void
  });

  it("an unknown function is PGRST202, with the message and details the stand-in gives", async () => {
    // The stand-in's body (PostgREST v16.2's, tests/support/postgrest-standin.ts); the
    // hint is PostgREST's fuzzy "Perhaps you meant ..." here, which the stand-in leaves null.
    const { code, message, details } = noRpcError("public", "no_such_function", ["p_x"]);
    await expect(store.db.rows("no_such_function", { p_x: 1 })).rejects.toMatchObject({ code, message, details });
  });

  it.skipIf(!anonKey)("the public (anon) key cannot call a session function", async () => {
    const anon = openSupabase(url as string, anonKey as string, { timeoutMs: 15_000 });
    const error = await anon.rows("validate_app_session", { p_token_hash: "00".repeat(32) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "42501", message: "permission denied for function validate_app_session" });
    await anon.close();
  });
});
