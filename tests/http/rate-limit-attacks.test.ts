/**
 * Rate limits from the attacker's side, over real HTTP from distinct client
 * addresses (127.x.y.z, see tests/support/addresses.ts): while forged
 * entries, wrong Basic auth pairs and wrong operator secrets are thrown at
 * the app, the victim (the merchant, Commerce7, the operator's cron) still
 * gets in; and each attacking address is refused BEFORE its next credential
 * is looked at once it has failed too often.
 *
 * Windows are an hour long so that none closes during the test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { freshAddress, requestFrom } from "../support/addresses";
import { basic, COMMERCE7_TEST_ENV, commerce7Sandbox, TEST_INSTALLER } from "../support/commerce7";
import { adminIframeSrc, BROWSER_UA, storeOf, uniqueShop } from "../support/shopify";

const CRON_SECRET = "cron-secret-for-the-attack-suite-7f3a";
const METRICS_TOKEN = "metrics-token-for-the-attack-suite-2b9c";
const TENANT_LIMIT = 5;
const FAILURES = 3;

let app: RunningApp;
let sandbox: ReturnType<typeof commerce7Sandbox>;

beforeAll(async () => {
  app = await startApp({
    ...COMMERCE7_TEST_ENV,
    CRON_SECRET,
    METRICS_TOKEN,
    RATE_LIMIT_ENTRY_IP: "50/1h",
    RATE_LIMIT_ENTRY_CLIENT: `${TENANT_LIMIT}/1h`,
    RATE_LIMIT_ENTRY_FAILURES_IP: `${FAILURES}/1h`,
    RATE_LIMIT_INSTALL_AUTH_FAILURES_IP: `${FAILURES}/1h`,
    RATE_LIMIT_OPERATOR_FAILURES_IP: `${FAILURES}/1h`,
    RATE_LIMIT_CLEANUP_IP: "off",
  });
  sandbox = commerce7Sandbox(app);
  await sandbox.control({ reset: true, virtualTime: true });
});
afterAll(async () => {
  await app?.stop();
});

const PAGE = { Accept: "text/html", "User-Agent": BROWSER_UA };

/** What the Commerce7 admin frames for a real user of the tenant. */
function merchantEntry(tenantId: string) {
  return sandbox.frameSrc({ tenantId });
}

describe("forged entries do not lock a merchant out", () => {
  it("Commerce7: forged entries naming the tenant, from many addresses, never spend its budget; the merchant gets in", async () => {
    const tenantId = `victim-winery-${Date.now()}`;
    await sandbox.activate(tenantId);
    // Far more forged entries than the tenant's limit, each address under its own failure limit.
    for (let a = 0; a < 4; a++) {
      const attacker = freshAddress();
      for (let i = 0; i < FAILURES; i++) {
        const forged = await requestFrom(app, attacker, `/app?tenantId=${tenantId}&account=aaaa.bbbb.cccc`, { headers: PAGE });
        expect(forged.status, "Commerce7 refused the forged account token").toBe(401);
      }
    }
    const merchant = await requestFrom(app, freshAddress(), await merchantEntry(tenantId), { headers: PAGE });
    expect(merchant.status).toBe(200);
    expect(merchant.headers["set-cookie"]?.join()).toMatch(/app_session=/);
  });

  it("Commerce7: entries the platform vouched for are still bounded per tenant, whatever their address", async () => {
    const tenantId = `busy-winery-${Date.now()}`;
    await sandbox.activate(tenantId);
    for (let i = 0; i < TENANT_LIMIT; i++) {
      expect((await requestFrom(app, freshAddress(), await merchantEntry(tenantId), { headers: PAGE })).status).toBe(200);
    }
    const over = await requestFrom(app, freshAddress(), await merchantEntry(tenantId), { headers: PAGE });
    expect(over.status).toBe(429);
    expect(over.headers["retry-after"]).toMatch(/^\d+$/);
  });

  it("Shopify: forged entries naming the shop, from many addresses, never spend its budget; the merchant gets in", async () => {
    const shop = uniqueShop("victim");
    const entry = new URL(await adminIframeSrc(app, storeOf(shop)));
    for (let a = 0; a < 4; a++) {
      const attacker = freshAddress();
      for (let i = 0; i < FAILURES; i++) {
        const forged = new URLSearchParams(entry.searchParams);
        forged.set("id_token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmb3JnZWQifQ.c2lnbmF0dXJl");
        const res = await requestFrom(app, attacker, `/app?${forged}`, { headers: PAGE });
        expect(res.status, "a forged session token is bounced for a fresh one, not trusted").toBe(302);
      }
    }
    const merchant = await requestFrom(app, freshAddress(), `${entry.pathname}${entry.search}`, { headers: PAGE });
    expect(merchant.status).toBe(200);
  });

  it("an address whose entries keep failing is refused before the platform is asked again; other addresses are not", async () => {
    const tenantId = `probed-winery-${Date.now()}`;
    await sandbox.activate(tenantId);
    const attacker = freshAddress();
    for (let i = 0; i < FAILURES; i++) {
      expect((await requestFrom(app, attacker, `/app?tenantId=${tenantId}&account=aaaa.bbbb.cccc`, { headers: PAGE })).status).toBe(401);
    }
    const asked = (await sandbox.report()).accountUserCalls;
    const refused = await requestFrom(app, attacker, `/app?tenantId=${tenantId}&account=aaaa.bbbb.cccc`, {
      headers: { ...PAGE, Accept: "application/json" },
    });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "rate_limited", message: expect.any(String) });
    // Even a genuine entry from that address waits: nothing from it is tried until the window closes.
    expect((await requestFrom(app, attacker, await merchantEntry(tenantId), { headers: PAGE })).status).toBe(429);
    expect((await sandbox.report()).accountUserCalls, "Commerce7 was not asked again").toBe(asked);
    expect((await requestFrom(app, freshAddress(), await merchantEntry(tenantId), { headers: PAGE })).status).toBe(200);
  });
});

describe("wrong Basic auth pairs on the Commerce7 install URLs", () => {
  function installCall(address: string, kind: "install" | "uninstall", authorization: string, tenantId: string) {
    return requestFrom(app, address, `/${kind}/commerce7`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: authorization },
      body: JSON.stringify({ tenantId, user: { id: "u1", email: "owner@winery.example", firstName: "Olive", lastName: "Owner" } }),
    });
  }

  it("are throttled per address before the pair is checked; Commerce7 still activates and deactivates", async () => {
    const attacker = freshAddress();
    const tenantId = `guarded-winery-${Date.now()}`;
    for (let i = 0; i < FAILURES; i++) {
      expect((await installCall(attacker, "install", basic(TEST_INSTALLER.user, `guess-${i}`), tenantId)).status).toBe(401);
    }
    const refused = await installCall(attacker, "install", basic(TEST_INSTALLER.user, "guess-next"), tenantId);
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toMatch(/^\d+$/);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "rate_limited" });
    // The right pair from that address is not even checked; the uninstall URL is the same door.
    const right = basic(TEST_INSTALLER.user, TEST_INSTALLER.password);
    expect((await installCall(attacker, "install", right, tenantId)).status).toBe(429);
    expect((await installCall(attacker, "uninstall", right, tenantId)).status).toBe(429);

    const commerce7 = freshAddress();
    expect((await installCall(commerce7, "install", right, tenantId)).status).toBe(200);
    expect((await installCall(commerce7, "uninstall", right, tenantId)).status).toBe(200);
  });
});

describe("wrong operator secrets", () => {
  function operatorCall(address: string, path: string, secret: string, method = "GET") {
    return requestFrom(app, address, path, { method, headers: { Authorization: `Bearer ${secret}`, Accept: "application/json" } });
  }

  it("are throttled per address on every operator endpoint, before the secret is compared; the real cron and scraper still get in", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < FAILURES; i++) {
      expect((await operatorCall(attacker, "/api/metrics", `${CRON_SECRET}-guess-${i}`)).status).toBe(401);
    }
    const refused = await operatorCall(attacker, "/api/metrics", `${CRON_SECRET}-guess-next`);
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toMatch(/^\d+$/);
    // One door for every operator endpoint, and the right secret from that address is not even compared.
    expect((await operatorCall(attacker, "/api/sessions/cleanup", CRON_SECRET, "POST")).status).toBe(429);
    expect((await operatorCall(attacker, "/api/metrics", METRICS_TOKEN)).status).toBe(429);

    const cron = freshAddress();
    expect((await operatorCall(cron, "/api/metrics", METRICS_TOKEN)).status).toBe(200);
    expect((await operatorCall(cron, "/api/metrics", CRON_SECRET)).status).toBe(200);
    expect((await operatorCall(cron, "/api/sessions/cleanup", CRON_SECRET, "POST")).status).toBe(200);
  });

  it("a missing secret is a failure too (guessing without a header is throttled the same way)", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < FAILURES; i++) {
      expect((await requestFrom(app, attacker, "/api/sessions/cleanup", { method: "POST" })).status).toBe(401);
    }
    expect((await requestFrom(app, attacker, "/api/metrics")).status).toBe(429);
  });
});
