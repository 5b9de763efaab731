/**
 * Shopify webhooks over real HTTP: the sandbox sends signed deliveries to the
 * built app. Uninstall ends every session of the shop, reinstall works, a
 * repeated delivery is harmless, and a forged one is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { sandboxWebhookPayload, signSandboxWebhook, type SandboxWebhookTopic } from "~/lib/sandbox/shopify.server";
import { startApp, type RunningApp } from "../support/app-server";
import { adminIframeSrc, browserGet, cookiesOf, platformCalls, sandboxSessionToken, storeOf, uniqueShop } from "../support/shopify";

const DATA = "/app?_data=routes%2Fapp._index";

describe("Shopify webhooks (sandbox deliveries)", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function install(shop: string) {
    const res = await browserGet(app, await adminIframeSrc(app, storeOf(shop)));
    expect(res.status).toBe(200);
    return cookiesOf(res);
  }

  async function deliver(shop: string, topic: string, webhookId?: string) {
    const res = await fetch(`${app.url}/sandbox/shopify/webhooks`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ shop, topic, webhookId }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: number; webhookId: string };
  }

  async function bearerStatus(shop: string) {
    return (await browserGet(app, DATA, { bearer: await sandboxSessionToken(app, shop), accept: "*/*" })).status;
  }

  it("app/uninstalled ends the shop's sessions at once; opening the app again reinstalls it", async () => {
    const shop = uniqueShop("uninstall");
    const cookie = await install(shop);
    expect((await browserGet(app, "/app", { cookie })).status).toBe(200);

    expect((await deliver(shop, "app/uninstalled")).status).toBe(200);
    const after = await browserGet(app, "/app", { cookie });
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/?reason=unauthenticated");
    expect(await bearerStatus(shop)).toBe(401);

    const before = await platformCalls(app);
    const again = await install(shop);
    expect(again).toMatch(/^__Host-app_session=/);
    expect((await platformCalls(app)).byKind["oauth.token_exchange"]).toBe(before.byKind["oauth.token_exchange"] + 1);
    expect(await bearerStatus(shop)).toBe(200);
  });

  it("a repeated delivery (same webhook id) changes nothing the second time", async () => {
    const shop = uniqueShop("repeat");
    await install(shop);
    const first = await deliver(shop, "app/uninstalled");
    await install(shop); // reinstalled since
    // Shopify retries the first delivery: the app answers 200, and the new installation stays.
    expect((await deliver(shop, "app/uninstalled", first.webhookId)).status).toBe(200);
    expect(await bearerStatus(shop)).toBe(200);
  });

  it("a delivery with a bad HMAC gets 401 and the shop keeps working", async () => {
    const shop = uniqueShop("forged");
    const cookie = await install(shop);
    const genuine = signSandboxWebhook({ shop, topic: "shop/redact", body: JSON.stringify({ shop_id: 1, shop_domain: shop }) });
    const res = await fetch(`${app.url}/webhooks/shopify`, {
      method: "POST",
      headers: { ...genuine.headers, "X-Shopify-Hmac-Sha256": Buffer.from("forged").toString("base64") },
      body: genuine.body,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_hmac" });
    expect((await browserGet(app, "/app", { cookie })).status).toBe(200);
  });

  it("the compliance topics are answered with 200; shop/redact deletes the shop's data", async () => {
    const shop = uniqueShop("compliance");
    await install(shop);
    for (const topic of ["customers/data_request", "customers/redact"]) expect((await deliver(shop, topic)).status).toBe(200);
    expect(await bearerStatus(shop)).toBe(200);
    expect((await deliver(shop, "app/uninstalled")).status).toBe(200);
    expect((await deliver(shop, "shop/redact")).status).toBe(200); // Shopify sends it 48 hours after the uninstall
    expect(await bearerStatus(shop)).toBe(401);
  });

  describe("replayed deliveries (the HMAC covers neither X-Shopify-Webhook-Id nor X-Shopify-Triggered-At)", () => {
    /** A delivery as an attacker captured it: the signed body and Shopify's headers. */
    function captured(shop: string, topic: SandboxWebhookTopic, triggeredAt = new Date()) {
      return signSandboxWebhook({ shop, topic, body: JSON.stringify(sandboxWebhookPayload(topic, shop)), triggeredAt });
    }
    async function replay(delivery: { headers: Record<string, string>; body: string }, headers: Record<string, string | null>) {
      const sent: Record<string, string> = { ...delivery.headers, "X-Shopify-Webhook-Id": randomUUID() };
      for (const [name, value] of Object.entries(headers)) {
        if (value === null) delete sent[name];
        else sent[name] = value;
      }
      const res = await fetch(`${app.url}/webhooks/shopify`, { method: "POST", headers: sent, body: delivery.body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it("app/uninstalled with an empty, missing, unparsable or future X-Shopify-Triggered-At: 400, and the re-installed shop keeps its sessions", async () => {
      const shop = uniqueShop("replay-empty");
      const cookie = await install(shop);
      const delivery = captured(shop, "app/uninstalled");
      for (const triggeredAt of ["", null, "yesterday", "2999-01-01T00:00:00Z"]) {
        const res = await replay(delivery, { "X-Shopify-Triggered-At": triggeredAt });
        expect(res, `triggered-at ${JSON.stringify(triggeredAt)}`).toMatchObject({ status: 400, body: { error: "invalid_triggered_at" } });
      }
      expect((await browserGet(app, "/app", { cookie })).status).toBe(200);
      expect(await bearerStatus(shop)).toBe(200);
    });

    it("a captured app/uninstalled replayed after a reinstall: 200 (stale, no retry) and the shop keeps its sessions, whatever time it claims", async () => {
      const shop = uniqueShop("replay-reinstalled");
      await install(shop);
      const delivery = captured(shop, "app/uninstalled");
      await deliver(shop, "app/uninstalled"); // the genuine uninstall
      const cookie = await install(shop); // and a reinstall
      // Its own (old) time: older than the reinstall.
      expect(await replay(delivery, {})).toEqual({ status: 200, body: { ok: true, status: "stale" } });
      // A fresh time: Shopify still accepts the shop's token, so the app is installed.
      expect(await replay(delivery, { "X-Shopify-Triggered-At": new Date().toISOString() })).toEqual({ status: 200, body: { ok: true, status: "not_uninstalled" } });
      expect((await browserGet(app, "/app", { cookie })).status).toBe(200);
      expect(await bearerStatus(shop)).toBe(200);
    });

    it("shop/redact replayed against an installed shop deletes nothing (200 stale)", async () => {
      const shop = uniqueShop("replay-redact");
      const cookie = await install(shop);
      for (const triggeredAt of [new Date(), new Date(Date.now() - 86_400_000)]) {
        expect(await replay(captured(shop, "shop/redact", triggeredAt), {})).toEqual({ status: 200, body: { ok: true, status: "stale" } });
      }
      expect((await browserGet(app, "/app", { cookie })).status).toBe(200);
    });
  });

  it("GET is not a delivery", async () => {
    expect((await fetch(`${app.url}/webhooks/shopify`)).status).toBe(405);
  });
});
