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
 */
import { WebhookValidationErrorReason } from "@shopify/shopify-api";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { jsonError, withDatabase } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import { readBodyText } from "~/lib/request-body.server";
import { webhookRejected } from "./auth-failures.server";
import { shopify, shopifyConfigured } from "./config.server";

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

function isTopic(value: string): value is Topic {
  return Object.hasOwn(bodies, value);
}

function ok(status: string): Response {
  return Response.json({ ok: true, status }, { headers: { "Cache-Control": "no-store" } });
}

export async function handleShopifyWebhook(request: Request): Promise<Response> {
  if (request.method !== "POST") return jsonError(405, "method_not_allowed", "Webhooks are POSTed.", { Allow: "POST" });
  if (!shopifyConfigured()) return jsonError(404, "not_configured", "Shopify is not configured for this app.");
  // Counted as it streams: a chunked body stops at the limit (413), unread past it.
  const rawBody = await readBodyText(request, { maxBytes: MAX_BODY_BYTES });

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

  const triggeredAt = validation.webhookType === "webhooks" && validation.triggeredAt ? new Date(validation.triggeredAt) : null;
  const status = await withDatabase(async () =>
    (await getStore()).processShopifyWebhook(
      {
        webhookId: validation.webhookId,
        topic,
        shop,
        scope: body.scope ?? null,
        triggeredAt: triggeredAt && !Number.isNaN(triggeredAt.getTime()) ? triggeredAt : null,
      },
      now(),
    ),
  );
  logger.info({ event: "shopify.webhook", topic, shop, webhookId: validation.webhookId, status }, "Shopify webhook");
  return ok(status);
}
