/**
 * Commerce7 activation and deactivation, called as the routes call them, on
 * a real database (PGlite; PostgreSQL too when TEST_DATABASE_URL is set):
 * what Commerce7 would get back, and what is (and is not) stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freezeClock } from "~/lib/clock.server";
import { basicAuthorization } from "~/lib/platforms/commerce7/config.server";
import {
  handleCommerce7Activation,
  handleCommerce7Deactivation,
  MAX_INSTALL_BODY_BYTES,
} from "~/lib/platforms/commerce7/install.server";
import { parseEnv, resetEnv } from "~/lib/env.server";
import { createAppSession } from "~/lib/sessions/core.server";
import { APP } from "../../../../tests/support/sessions";
import { availableBackends, useTestDatabase } from "../../../../tests/support/use-database";

const INSTALLER = { user: "c7-installer", password: "install-password-0123456789" };

function installCall(
  path: "/install/commerce7" | "/uninstall/commerce7",
  body: unknown,
  init: { authorization?: string | null; rawBody?: BodyInit; headers?: Record<string, string> } = {},
) {
  const headers = new Headers({ "Content-Type": "application/json", ...init.headers });
  const authorization = init.authorization === undefined ? basicAuthorization(INSTALLER) : init.authorization;
  if (authorization) headers.set("Authorization", authorization);
  return new Request(`${APP}${path}`, {
    method: "POST",
    headers,
    body: init.rawBody ?? JSON.stringify(body),
    ...(init.rawBody instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

const activate = (body: unknown, init?: Parameters<typeof installCall>[2]) =>
  handleCommerce7Activation(installCall("/install/commerce7", body, init));
const deactivate = (body: unknown, init?: Parameters<typeof installCall>[2]) =>
  handleCommerce7Deactivation(installCall("/uninstall/commerce7", body, init));

let tenantCounter = 0;
function activationBody(extra: Record<string, unknown> = {}) {
  tenantCounter += 1;
  return {
    tenantId: `install-test-${tenantCounter}-${process.pid}`,
    user: { id: `user-${tenantCounter}`, email: "owner@winery.example", firstName: "Olive", lastName: "Owner" },
    "organization-name": "Olive's Winery",
    ...extra,
  };
}

for (const backend of availableBackends) {
  describe(`Commerce7 activation on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    const settings = {
      COMMERCE7_INSTALL_USER: INSTALLER.user,
      COMMERCE7_INSTALL_PASSWORD: INSTALLER.password,
      // every call here comes from one address: the per-IP limit is off, the per-tenant one stays
      RATE_LIMIT_INSTALL_IP: "off",
    };
    const saved = Object.fromEntries(Object.keys(settings).map((k) => [k, process.env[k]]));

    beforeAll(() => {
      Object.assign(process.env, settings);
      resetEnv();
    });
    afterAll(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      resetEnv();
    });

    async function installation(tenantId: string) {
      const clients = await database().sql.query<{ id: string; install_state: string; organization_name: string; installed_at: Date }>(
        "select id, install_state, organization_name, installed_at from clients where platform = 'commerce7' and external_id = $1",
        [tenantId],
      );
      const platformSessions = await database().sql.query<{
        id: string;
        access_token_enc: string | null;
        refresh_token_enc: string | null;
        user_id: string | null;
        data: Record<string, unknown>;
      }>("select id, access_token_enc, refresh_token_enc, user_id, data from platform_sessions where shop = $1", [tenantId]);
      return { clients, platformSessions };
    }

    it("a good activation records the client and the installation, with no secret stored", async () => {
      const body = activationBody({ "wine-club-tier": "gold" });
      const response = await activate(body);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, tenantId: body.tenantId, installed: true, alreadyInstalled: false });

      const { clients, platformSessions } = await installation(body.tenantId);
      expect(clients).toEqual([expect.objectContaining({ install_state: "installed", organization_name: "Olive's Winery" })]);
      expect(platformSessions).toHaveLength(1);
      const [record] = platformSessions;
      expect(record).toMatchObject({ id: `commerce7_${body.tenantId}`, access_token_enc: null, refresh_token_enc: null, user_id: body.user.id });
      expect(record.data).toEqual({
        installedBy: { id: body.user.id, email: "owner@winery.example", firstName: "Olive", lastName: "Owner" },
        // unknown top-level keys are the tenant's setup variables: kept
        setup: { "organization-name": "Olive's Winery", "wine-club-tier": "gold" },
      });
    });

    it("repeating the same activation is harmless: one client, one record, same install time", async () => {
      const body = activationBody();
      await activate(body);
      const before = await installation(body.tenantId);
      advanceClock(60_000);
      const again = await activate(body);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ ok: true, alreadyInstalled: true });
      const after = await installation(body.tenantId);
      expect(after.clients).toHaveLength(1);
      expect(after.platformSessions).toHaveLength(1);
      expect(after.clients[0].id).toBe(before.clients[0].id);
      expect(after.clients[0].installed_at).toEqual(before.clients[0].installed_at);
    });

    it.each([
      ["no Authorization header", null],
      ["a wrong password", basicAuthorization({ user: INSTALLER.user, password: "wrong-password-0123456789" })],
      ["a wrong user", basicAuthorization({ user: "someone-else", password: INSTALLER.password })],
      ["no colon", `Basic ${Buffer.from("c7-installer").toString("base64")}`],
      ["a Bearer token", "Bearer abc"],
    ])("refuses %s with 401 and WWW-Authenticate, storing nothing", async (_, authorization) => {
      const body = activationBody();
      const response = await activate(body, { authorization });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
      expect(await response.json()).toMatchObject({ error: "unauthorized" });
      expect((await installation(body.tenantId)).clients).toHaveLength(0);
    });

    it.each([
      ["a body that is not JSON", "{not json", null],
      ["a JSON array", "[]", null],
      ["no tenantId", JSON.stringify({ user: { email: "a@b.example", firstName: "A", lastName: "B" } }), "tenantId"],
      ["a tenantId that is not an id", JSON.stringify({ ...activationBody(), tenantId: "two words" }), "tenantId"],
      ["no user", JSON.stringify({ tenantId: "no-user-winery" }), "user"],
      ["a bad email", JSON.stringify({ ...activationBody(), user: { email: "nope", firstName: "A", lastName: "B" } }), "user.email"],
      ["no first name", JSON.stringify({ ...activationBody(), user: { email: "a@b.example", lastName: "B" } }), "user.firstName"],
      // PostgreSQL stores no NUL (text, jsonb) and no unpaired surrogate (jsonb): refused by name, not a 500.
      ["a NUL in a name", JSON.stringify({ ...activationBody(), user: { email: "a@b.example", firstName: "Ol\u0000ive", lastName: "B" } }), "user.firstName"],
      ["a line break in the organization name", JSON.stringify(activationBody({ "organization-name": "Olive's\nWinery" })), "organization-name"],
      ["a NUL in a setup variable", JSON.stringify(activationBody({ note: "a\u0000b" })), "note"],
      ["an unpaired surrogate deep in a setup variable", JSON.stringify(activationBody({ options: [{ label: "\ud800" }] })), "options.0.label"],
    ])("refuses %s with 400 naming the field", async (_, rawBody, field) => {
      const response = await activate(null, { rawBody });
      expect(response.status).toBe(400);
      const json = await response.json();
      expect(json).toMatchObject({ error: "invalid_body", field });
      if (field) expect(json.message).toContain(field);
    });

    it("refuses a body over the size limit with 413, declared or streamed", async () => {
      const big = JSON.stringify(activationBody({ padding: "x".repeat(MAX_INSTALL_BODY_BYTES) }));
      expect((await activate(null, { rawBody: big })).status).toBe(413);
      const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(chunk);
          else controller.close();
        },
      });
      expect((await activate(null, { rawBody: stream })).status).toBe(413);
    });

    it("deactivation removes the tenant's app and platform sessions and marks the client uninstalled; repeating it is harmless", async () => {
      const body = activationBody();
      await activate(body);
      const { clients } = await installation(body.tenantId);
      await createAppSession({ request: new Request(APP), clientId: clients[0].id, user: { id: "u" } });

      const response = await deactivate({ tenantId: body.tenantId, user: { id: body.user.id } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ ok: true, uninstalled: true, appSessionsRemoved: 1 });
      const after = await installation(body.tenantId);
      expect(after.clients[0].install_state).toBe("uninstalled");
      expect(after.platformSessions).toHaveLength(0);
      const sessions = await database().sql.query("select id from app_sessions where client_id = $1", [clients[0].id]);
      expect(sessions).toHaveLength(0);

      const again = await deactivate({ tenantId: body.tenantId });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ ok: true, appSessionsRemoved: 0 });
    });

    it("deactivating a tenant we never saw answers 200 (nothing to do); bad auth is still 401", async () => {
      const unknown = await deactivate({ tenantId: "never-seen-winery" });
      expect(unknown.status).toBe(200);
      expect(await unknown.json()).toMatchObject({ ok: true, uninstalled: false });
      expect((await deactivate({ tenantId: "never-seen-winery" }, { authorization: null })).status).toBe(401);
    });

    it("more calls for one tenant than RATE_LIMIT_INSTALL_CLIENT (10 a minute) get 429 with Retry-After", async () => {
      // One fixed window for all eleven calls (a minute boundary in between would reset the count).
      freezeClock(new Date(Math.floor(Date.now() / 60_000) * 60_000 + 1_000));
      const body = activationBody();
      for (let i = 0; i < 10; i++) expect((await activate(body)).status).toBe(200);
      const refused = await activate(body);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: "rate_limited" });
      // another tenant is not affected
      expect((await activate(activationBody())).status).toBe(200);
    });

    it("re-activation after deactivation installs again", async () => {
      const body = activationBody();
      await activate(body);
      await deactivate({ tenantId: body.tenantId });
      const response = await activate(body);
      expect(await response.json()).toMatchObject({ ok: true, alreadyInstalled: false });
      const { clients, platformSessions } = await installation(body.tenantId);
      expect(clients[0].install_state).toBe("installed");
      expect(platformSessions).toHaveLength(1);
    });
  });
}

describe("Commerce7 settings", () => {
  const base = { NODE_ENV: "production", APP_URL: "https://app.example", SESSION_SECRET: "s".repeat(40), TOKEN_ENCRYPTION_KEY: "0".repeat(64) };

  it("production with Commerce7 app credentials requires the install pair", () => {
    expect(() => parseEnv({ ...base, COMMERCE7_APP_ID: "id", COMMERCE7_APP_SECRET: "secret" })).toThrow(/COMMERCE7_INSTALL_PASSWORD/);
  });

  it("the app id and secret go together, and so do the install user and password", () => {
    expect(() => parseEnv({ ...base, COMMERCE7_APP_ID: "id" })).toThrow(/COMMERCE7_APP_SECRET/);
    expect(() => parseEnv({ ...base, COMMERCE7_INSTALL_USER: "u" })).toThrow(/COMMERCE7_INSTALL_PASSWORD/);
  });

  it("a short install password is refused in production", () => {
    expect(() =>
      parseEnv({ ...base, COMMERCE7_APP_ID: "id", COMMERCE7_APP_SECRET: "s", COMMERCE7_INSTALL_USER: "u", COMMERCE7_INSTALL_PASSWORD: "short" }),
    ).toThrow(/at least 16/);
  });
});
