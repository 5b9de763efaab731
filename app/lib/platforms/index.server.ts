/**
 * Loading this module plugs the platforms into the session core: each
 * platform module registers its entry handler and bearer resolver with
 * sessions.server.ts when imported. entry.server.tsx imports it once.
 */
import "~/lib/platforms/shopify.server";
import "~/lib/platforms/commerce7.server";
