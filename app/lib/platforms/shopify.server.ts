/**
 * Shopify: what routes and the session core need, from one place. The
 * platform lives in app/lib/platforms/shopify/:
 *   config.server.ts          credentials (real or sandbox), the library instance, its fetch hook
 *   session-token.server.ts   session tokens verified locally
 *   embedded.server.ts        entry from the admin, App Bridge bearer, bounce page
 *   offline-access.server.ts  the shop's offline token: token exchange, refresh, Admin API calls
 *   install.server.ts         the App Store install (OAuth code grant)
 *   webhooks.server.ts        app/uninstalled, app/scopes_update, compliance topics
 *   auth-failures.server.ts   one log/audit hook per kind of failed authentication
 *
 * Importing this module registers the Shopify entry handler and bearer
 * resolver with the session core (app/lib/platforms/index.server.ts does).
 */
import { registerBearerResolver, registerEntryHandler } from "~/lib/sessions/core.server";
import { resolveShopifyBearer, shopifyEntryHandler } from "./shopify/embedded.server";

registerEntryHandler(shopifyEntryHandler);
registerBearerResolver("shopify", resolveShopifyBearer);

export { appBridgeFor, bouncePage, shopifyAdmin } from "./shopify/embedded.server";
export { shopifyConfigured } from "./shopify/config.server";
export { beginInstall, completeInstall } from "./shopify/install.server";
export { handleShopifyWebhook } from "./shopify/webhooks.server";
