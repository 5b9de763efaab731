/**
 * Shopify webhooks against the database, on every available backend: what
 * each topic changes, that a repeated delivery changes nothing twice, that a
 * bad HMAC touches nothing, and that a body cannot be relabelled.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { advanceClock, freezeClock, now } from "~/lib/clock.server";
import "~/lib/platforms/index.server";
import {
  DEFAULT_SANDBOX_USER,
  sandboxWebhookPayload,
  signSandboxSessionToken,
  signSandboxWebhook,
  uninstallSandboxApp,
  type SandboxWebhookTopic,
} from "~/lib/sandbox/shopify.server";
import { requireAppSession } from "~/lib/sessions/core.server";
import { handleShopifyWebhook } from "~/lib/platforms/shopify.server";
import { withShopifyAdmin } from "~/lib/platforms/shopify/offline-access.server";
import { availableBackends, useTestDatabase } from "../support/use-database";
import { entryRequest, uniqueShop } from "../support/shopify";


function webhookRequest(delivery: { headers: Record<string, string>; body: string }, headers: Record<string, string> = {}) {
  return new Request("https://app.test.example/webhooks/shopify", {
    method: "POST",
    headers: { ...delivery.headers, ...headers },
    body: delivery.body,
  });
}

for (const backend of availableBackends) {
  describe(`Shopify webhooks on ${backend.name}`, () => {
    const database = useTestDatabase(backend);
    let shop: string;

    beforeEach(async () => {
      freezeClock(new Date());
      shop = uniqueShop("hooks");
      await requireAppSession(await entryRequest(shop)); // installed (token exchange) with one app session
    });

    function delivery(topic: SandboxWebhookTopic, options: { webhookId?: string; body?: unknown; shop?: string; triggeredAt?: Date } = {}) {
      const body = JSON.stringify(options.body ?? sandboxWebhookPayload(topic, options.shop ?? shop));
      return signSandboxWebhook({ shop: options.shop ?? shop, topic, body, webhookId: options.webhookId, triggeredAt: options.triggeredAt });
    }

    /** The merchant uninstalls: Shopify revokes the app's tokens, then sends app/uninstalled. */
    async function uninstall() {
      uninstallSandboxApp(shop);
      return send(delivery("app/uninstalled"));
    }

    async function send(d: { headers: Record<string, string>; body: string }, headers: Record<string, string> = {}) {
      const response = await handleShopifyWebhook(webhookRequest(d, headers));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    /** After the entry: the shop's offline token and the staff member's online token (SHOPIFY_ONLINE_TOKENS). */
    const INSTALLED_TOKENS = 2;

    async function state() {
      const [client] = await database().sql.query<{ install_state: string; organization_name: string | null }>(
        "select install_state, organization_name from clients where platform = 'shopify' and external_id = $1",
        [shop],
      );
      const [counts] = await database().sql.query<{ app: string | number; platform: string | number; scope: string | null }>(
        `select (select count(*) from app_sessions s join clients c on c.id = s.client_id where c.external_id = $1) as app,
                (select count(*) from platform_sessions where shop = $1) as platform,
                (select max(scope) from platform_sessions where shop = $1) as scope`,
        [shop],
      );
      return { client: client ?? null, appSessions: Number(counts.app), platformSessions: Number(counts.platform), scope: counts.scope };
    }

    it("app/uninstalled removes the shop's sessions and marks it uninstalled; the same delivery again changes nothing", async () => {
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
      uninstallSandboxApp(shop); // Shopify revokes the app's tokens before it sends app/uninstalled
      const uninstall = delivery("app/uninstalled");
      expect(await send(uninstall)).toEqual({ status: 200, body: { ok: true, status: "processed" } });
      expect(await state()).toMatchObject({ client: { install_state: "uninstalled" }, appSessions: 0, platformSessions: 0 });

      // Reinstalled from the admin; then Shopify retries the old delivery: the new installation stays.
      advanceClock(1000);
      await requireAppSession(await entryRequest(shop));
      expect(await send(uninstall)).toEqual({ status: 200, body: { ok: true, status: "duplicate" } });
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
    });

    it("an app/uninstalled that happened before the current installation (delivered late) keeps the installation", async () => {
      const late = signSandboxWebhook({
        shop,
        topic: "app/uninstalled",
        body: JSON.stringify(sandboxWebhookPayload("app/uninstalled", shop)),
        triggeredAt: new Date(now().getTime() - 60_000),
      });
      expect((await send(late)).body).toMatchObject({ status: "stale" });
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
    });

    it("app/scopes_update stores the new scope", async () => {
      const body = { id: 1, previous: ["read_products"], current: ["read_products", "write_products"], updated_at: now().toISOString() };
      expect((await send(delivery("app/scopes_update", { body }))).status).toBe(200);
      expect((await state()).scope).toBe("read_products,write_products");
    });

    it("customers/data_request and customers/redact are answered and recorded; the app keeps no customer data to change", async () => {
      for (const topic of ["customers/data_request", "customers/redact"] as const) {
        expect(await send(delivery(topic))).toEqual({ status: 200, body: { ok: true, status: "processed" } });
      }
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
      const events = await database().sql.query<{ event: string }>(
        "select e.event from session_events e join clients c on c.id = e.client_id where c.external_id = $1 and e.event like 'webhook.%' order by e.id",
        [shop],
      );
      expect(events.map((e) => e.event)).toEqual(["webhook.customers/data_request", "webhook.customers/redact"]);
    });

    it("shop/redact (48 hours after the uninstall) deletes the client and everything it owns", async () => {
      expect((await uninstall()).body).toMatchObject({ status: "processed" });
      advanceClock(48 * 3600_000);
      expect(await send(delivery("shop/redact"))).toEqual({ status: 200, body: { ok: true, status: "processed" } });
      expect(await state()).toEqual({ client: null, appSessions: 0, platformSessions: 0, scope: null });
    });

    // --- replays (issue 13): the HMAC covers neither the webhook id nor the triggered-at ---

    it("a delivery without a valid triggered-at is refused (400) and changes nothing, whatever its topic", async () => {
      for (const topic of ["app/uninstalled", "app/scopes_update", "shop/redact", "customers/redact"] as const) {
        const d = delivery(topic);
        for (const triggeredAt of ["", " ", "yesterday", "0", "2026-13-45T99:00:00Z", "1e12", new Date(now().getTime() + 3600_000).toISOString()]) {
          const res = await send(d, { "X-Shopify-Triggered-At": triggeredAt, "X-Shopify-Webhook-Id": `replay-${Math.random()}` });
          expect(res, `${topic} triggered at ${JSON.stringify(triggeredAt)}`).toMatchObject({ status: 400, body: { error: "invalid_triggered_at" } });
        }
        const withoutIt = { ...d, headers: { ...d.headers } };
        delete (withoutIt.headers as Record<string, string>)["X-Shopify-Triggered-At"];
        expect((await send(withoutIt)).status).toBe(400);
      }
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
    });

    it("app/uninstalled with a fresh triggered-at while Shopify still accepts the shop's token is ignored (a replay)", async () => {
      const replay = delivery("app/uninstalled"); // signed body as captured; new id and time are the sender's choice
      expect(await send(replay)).toEqual({ status: 200, body: { ok: true, status: "not_uninstalled" } });
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
    });

    it("a captured uninstall replayed after a reinstall with its old triggered-at is stale; a later genuine uninstall still applies", async () => {
      uninstallSandboxApp(shop);
      const captured = delivery("app/uninstalled");
      expect((await send(captured)).body).toMatchObject({ status: "processed" });
      advanceClock(1000);
      await requireAppSession(await entryRequest(shop)); // reinstalled
      const replay = await send(captured, { "X-Shopify-Webhook-Id": "replayed-with-a-new-id" });
      expect(replay).toEqual({ status: 200, body: { ok: true, status: "stale" } });
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });

      advanceClock(1000);
      expect((await uninstall()).body).toMatchObject({ status: "processed" });
      expect(await state()).toMatchObject({ client: { install_state: "uninstalled" }, appSessions: 0, platformSessions: 0 });
    });

    it("an uninstall the app never received does not end a later reinstall when it finally arrives", async () => {
      // Uninstalled while the app was down (no webhook), reinstalled: the entry's token exchange is the new install.
      const lost = delivery("app/uninstalled", { triggeredAt: now() });
      advanceClock(1000);
      uninstallSandboxApp(shop);
      // The app's next Admin API call finds the old token revoked and obtains a new one (token exchange): the reinstall.
      const sessionToken = await signSandboxSessionToken({ shop, userId: DEFAULT_SANDBOX_USER });
      await withShopifyAdmin(shop, sessionToken, (admin) => admin.request("query { shop { name } }"));
      expect((await send(lost)).body).toMatchObject({ status: "stale" });
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1 });
    });

    it("shop/redact for an installed shop deletes nothing, whatever triggered-at it claims", async () => {
      for (const triggeredAt of [now(), new Date(now().getTime() - 3600_000)]) {
        expect(await send(delivery("shop/redact", { triggeredAt }))).toEqual({ status: 200, body: { ok: true, status: "stale" } });
      }
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
    });

    it("app/scopes_update older than the current installation, or for an uninstalled shop, changes no scope", async () => {
      const before = (await state()).scope;
      const body = { id: 1, previous: ["read_products"], current: ["write_everything"] };
      const old = delivery("app/scopes_update", { body, triggeredAt: new Date(now().getTime() - 60_000) });
      expect(await send(old)).toEqual({ status: 200, body: { ok: true, status: "stale" } });
      expect((await state()).scope).toBe(before);
    });

    it("a bad HMAC gets 401 and touches nothing", async () => {
      const d = delivery("customers/redact");
      const hmac = d.headers["X-Shopify-Hmac-Sha256"];
      const tampered = (hmac[0] === "A" ? "B" : "A") + hmac.slice(1);
      expect((await send(d, { "X-Shopify-Hmac-Sha256": tampered })).status).toBe(401);
      expect((await send({ ...d, body: d.body.replace("}", ',"x":1}') })).status).toBe(401);
      const withoutHmac = { ...d, headers: { ...d.headers } };
      delete (withoutHmac.headers as Record<string, string>)["X-Shopify-Hmac-Sha256"];
      expect((await send(withoutHmac)).status).toBe(401);
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1, platformSessions: INSTALLED_TOKENS });
      // The delivery id was not consumed: the genuine delivery still applies.
      expect((await send(d)).body).toMatchObject({ status: "processed" });
    });

    it("a genuine body cannot be relabelled (the HMAC does not cover headers)", async () => {
      const redactCustomer = delivery("customers/redact");
      const asShopRedact = await send(redactCustomer, { "X-Shopify-Topic": "shop/redact" });
      expect(asShopRedact.status).toBe(400);
      const other = uniqueShop("other");
      const asOtherShop = await send(redactCustomer, { "X-Shopify-Shop-Domain": other });
      expect(asOtherShop).toMatchObject({ status: 400, body: { error: "shop_mismatch" } });
      expect(await state()).toMatchObject({ client: { install_state: "installed" }, appSessions: 1 });
    });

    it("a signed body that is not what Shopify sends for the topic gets 400", async () => {
      expect((await send(delivery("app/uninstalled", { body: { hello: "world" } }))).status).toBe(400);
      // Scopes are names; one PostgreSQL cannot store (NUL) or that would not survive the comma join is refused, not a 500.
      for (const current of [["read\u0000products"], ["read_products,write_orders"], [""]]) {
        expect((await send(delivery("app/scopes_update", { body: { id: 1, previous: [], current } }))).status).toBe(400);
      }
      expect((await state()).scope).not.toContain("\u0000");
      const notJson = signSandboxWebhook({ shop, topic: "app/uninstalled", body: "not json" });
      expect((await send(notJson)).status).toBe(400);
      expect(await state()).toMatchObject({ client: { install_state: "installed" } });
    });
  });
}
