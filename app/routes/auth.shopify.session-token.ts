import type { LoaderFunctionArgs } from "@remix-run/node";
import { bouncePage } from "~/lib/platforms/shopify.server";

/**
 * GET /auth/shopify/session-token?shop&host&shopify-reload=…: the bounce
 * page. It loads App Bridge, which gets a fresh session token and returns to
 * `shopify-reload` with it (a page load whose id_token had gone stale).
 */
export function loader({ request }: LoaderFunctionArgs) {
  return bouncePage(request);
}
