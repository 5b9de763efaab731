/**
 * POST /webhooks/shopify: Shopify's deliveries for app/uninstalled,
 * app/scopes_update and the mandatory compliance topics.
 *
 * The HMAC (X-Shopify-Hmac-Sha256, over the raw body) is checked by the
 * library before anything else; a bad or missing one gets 401 and touches
 * nothing. The HMAC covers the body only, not the headers, so the body is
 * validated per topic (zod) and must name the same shop as the
 * X-Shopify-Shop-Domain header. Each delivery is applied once
 * (process_shopify_webhook records its id in the same transaction).
 *
 * Replays. Neither X-Shopify-Webhook-Id nor X-Shopify-Triggered-At is under
 * the HMAC, so a captured delivery can be sent again with a new id and any
 * time. Every topic that destroys or changes data is therefore checked
 * against something the sender cannot choose (docs/SECURITY.md, S70):
 *   - a delivery without a valid triggered-at is refused (400): Shopify always
 *     sends one; one older than the shop's latest install is ignored (200
 *     "stale", so Shopify stops retrying a delivery the reinstall overtook);
 *   - app/uninstalled is applied only when Shopify confirms it: the shop's
 *     offline token must be refused (401), as it is once the app is
 *     uninstalled. A token that still works means the app is installed, and
 *     the delivery is ignored (200 "not_uninstalled");
 *   - shop/redact deletes only a shop that is not installed (Shopify sends it
 *     48 hours after an uninstall): an installed shop's data is in use.
 */
import { WebhookValidationErrorReason } from "@shopify/shopify-api";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import type { Store } from "~/lib/db/store.server";
import { getStore } from "~/lib/db/index.server";
import { jsonError, withDatabase } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import { readBodyBytes } from "~/lib/request-body.server";
import { webhookRejected } from "./auth-failures.server";
import { shopify, shopifyConfigured } from "./config.server";
import { ShopifyReauthorizationRequiredError, ShopifyUnavailableError, withShopifyAdmin } from "./offline-access.server";

/** Our topics' bodies are small; anything much bigger is not one of them. */
const MAX_BODY_BYTES = 256 * 1024;

const domain = z.string().min(1).max(255);
/** An access scope as Shopify names them (read_products): stored comma-joined, so no commas; no controls or whitespace. */
const scope = z.string().regex(/^[^\p{Cc}\p{Cs}\s,]+$/u);
const customer = z.looseObject({ id: z.number().nullable().optional() });

/** Each topic's body, with the shop domain it names (if it names one). */
const bodies = {
  "app/uninstalled": z.looseObject({ id: z.number(), myshopify_domain: domain }).transform((b) => ({ shop: b.myshopify_domain })),
  "app/scopes_update": z
    .looseObject({ id: z.number(), previous: z.array(scope), current: z.array(scope) })
    .transform((b) => ({ shop: null, scope: b.current.join(",") })),
  "customers/data_request": z
    .looseObject({ shop_domain: domain, customer, data_request: z.looseObject({ id: z.number() }) })
    .transform((b) => ({ shop: b.shop_domain })),
  "customers/redact": z
    .looseObject({ shop_domain: domain, customer, orders_to_redact: z.array(z.unknown()) })
    .transform((b) => ({ shop: b.shop_domain })),
  // No `customer`: a customers/redact body relabelled shop/redact must not delete the shop.
  "shop/redact": z
    .looseObject({ shop_domain: domain, shop_id: z.number(), customer: z.undefined().optional() })
    .transform((b) => ({ shop: b.shop_domain })),
} as const;
type Topic = keyof typeof bodies;
/** The topics this app handles (shopify.app.toml subscribes to exactly these; tests/deploy/shopify-cli-config.test.ts). */
export const HANDLED_WEBHOOK_TOPICS = Object.keys(bodies) as Topic[];

function isTopic(value: string): value is Topic {
  return Object.hasOwn(bodies, value);
}

function ok(status: string): Response {
  return Response.json({ ok: true, status }, { headers: { "Cache-Control": "no-store" } });
}

/** Shopify's clock and ours may differ a little; a delivery from further in the future than this is not Shopify's. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** X-Shopify-Triggered-At (shopify-triggered-at for events): an ISO 8601 time, not in the future. */
function triggeredAtOf(value: string | undefined): Date | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/.test(value.trim())) return null;
  const at = new Date(value.trim());
  if (Number.isNaN(at.getTime()) || at.getTime() > now().getTime() + MAX_FUTURE_SKEW_MS) return null;
  return at;
}

/**
 * Does Shopify confirm that the app is uninstalled from this shop? One cheap
 * Admin API call with the stored offline token: refused (or no token left)
 * means yes. Only asked when the delivery would change something (the shop
 * is installed, and was installed before the delivery's time).
 */
async function uninstallConfirmed(store: Store, shop: string, triggeredAt: Date): Promise<boolean | "stale"> {
  const client = await store.findClient("shopify", shop);
  if (!client || client.installState !== "installed") return true; // nothing to end; the SQL records the delivery
  if (client.installedAt && triggeredAt < client.installedAt) return "stale";
  try {
    await withShopifyAdmin(shop, null, (admin) => admin.request("query AppStillInstalled { shop { id } }"));
    return false;
  } catch (error) {
    if (error instanceof ShopifyReauthorizationRequiredError) return true;
    if (error instanceof ShopifyUnavailableError) throw error;
    // Any other refusal cannot prove the app is installed: a genuine uninstall must not be lost.
    logger.warn({ event: "shopify.uninstall_unconfirmed", shop, reason: (error as Error).message }, "could not confirm app/uninstalled with Shopify; applying it");
    return true;
  }
}

export async function handleShopifyWebhook(request: Request): Promise<Response> {
  if (request.method !== "POST") return jsonError(405, "method_not_allowed", "Webhooks are POSTed.", { Allow: "POST" });
  if (!shopifyConfigured()) return jsonError(404, "not_configured", "Shopify is not configured for this app.");
  // Counted as it streams: a chunked body stops at the limit (413), unread past it.
  // The HMAC is checked before the content: a forged delivery is a 401 whatever
  // its bytes; a signed one that is not JSON (NUL, bad UTF-8) is a 400 below.
  const rawBody = (await readBodyBytes(request, { maxBytes: MAX_BODY_BYTES })).toString("utf8");

  const headerShop = request.headers.get("X-Shopify-Shop-Domain");
  const validation = await shopify().webhooks.validate({ rawBody, rawRequest: request });
  if (!validation.valid) {
    if ("missingHeaders" in validation && validation.reason === WebhookValidationErrorReason.MissingHeaders) {
      // The HMAC was right, but Shopify always sends these headers.
      return jsonError(400, "missing_headers", `Missing headers: ${validation.missingHeaders.join(", ")}.`);
    }
    webhookRejected(request, validation.reason, headerShop);
    return jsonError(401, "invalid_hmac", "The webhook's HMAC is missing or does not match its body.");
  }

  const topic = request.headers.get("X-Shopify-Topic") ?? "";
  const shop = shopify().utils.sanitizeShop(validation.domain);
  if (!shop || validation.webhookId.length > 255) return jsonError(400, "invalid_headers", "The shop domain or webhook id is not valid.");
  if (!isTopic(topic)) {
    logger.info({ event: "shopify.webhook_ignored", topic, shop }, "webhook topic not handled");
    return ok("ignored");
  }

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return jsonError(400, "invalid_body", "The webhook body is not JSON.");
  }
  const parsed = bodies[topic].safeParse(json);
  if (!parsed.success) return jsonError(400, "invalid_body", `The ${topic} body is not what Shopify sends.`);
  const body = parsed.data as { shop: string | null; scope?: string };
  if (body.shop !== null && shopify().utils.sanitizeShop(body.shop) !== shop) {
    return jsonError(400, "shop_mismatch", "The body names another shop than the X-Shopify-Shop-Domain header.");
  }

  const triggeredAt = triggeredAtOf(validation.triggeredAt);
  if (!triggeredAt) {
    return jsonError(400, "invalid_triggered_at", "The X-Shopify-Triggered-At header is missing, not a time, or in the future.");
  }

  const status = await withDatabase(async () => {
    const store = await getStore();
    if (topic === "app/uninstalled") {
      let confirmed: boolean | "stale";
      try {
        confirmed = await uninstallConfirmed(store, shop, triggeredAt);
      } catch (error) {
        if (error instanceof ShopifyUnavailableError) return null;
        throw error;
      }
      if (confirmed === false) return "not_uninstalled";
    }
    return store.processShopifyWebhook({ webhookId: validation.webhookId, topic, shop, scope: body.scope ?? null, triggeredAt }, now());
  });
  // Shopify could not say whether the app is still installed: 503, and Shopify retries the delivery.
  if (status === null) return jsonError(503, "shopify_unavailable", "Shopify did not answer; the delivery will be retried.");
  if (status === "not_uninstalled") {
    logger.warn(
      { event: "shopify.webhook_refuted", topic, shop, webhookId: validation.webhookId },
      "app/uninstalled ignored: the shop's access token still works, so the app is installed (a replayed delivery?)",
    );
  } else {
    logger.info({ event: "shopify.webhook", topic, shop, webhookId: validation.webhookId, status }, "Shopify webhook");
  }
  return ok(status);
}
