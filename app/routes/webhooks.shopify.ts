import type { ActionFunctionArgs } from "@remix-run/node";
import { handleShopifyWebhook } from "~/lib/shopify.server";

/** POST /webhooks/shopify: app/uninstalled, app/scopes_update and the compliance topics, HMAC-verified. */
export function action({ request }: ActionFunctionArgs) {
  return handleShopifyWebhook(request);
}

export function loader({ request }: ActionFunctionArgs) {
  return handleShopifyWebhook(request);
}
