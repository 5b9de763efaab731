import type { ActionFunctionArgs } from "@remix-run/node";
import { withDatabase } from "~/lib/http.server";
import { handleShopifyWebhook } from "~/lib/platforms/shopify.server";

/**
 * POST /webhooks/shopify: app/uninstalled, app/scopes_update and the
 * compliance topics, HMAC-verified. With the database down the answer is 503,
 * which Shopify retries.
 */
export function action({ request }: ActionFunctionArgs) {
  return withDatabase(() => handleShopifyWebhook(request));
}

export function loader({ request }: ActionFunctionArgs) {
  return withDatabase(() => handleShopifyWebhook(request));
}
