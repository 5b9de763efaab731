import { requireSandbox } from "~/lib/sandbox/index.server";
import { SANDBOX_APP_BRIDGE_SCRIPT } from "~/lib/sandbox/shopify-app-bridge.server";

/** GET /sandbox/shopify/app-bridge.js: the App Bridge stand-in the app loads in sandbox mode. */
export function loader() {
  requireSandbox("shopify");
  return new Response(SANDBOX_APP_BRIDGE_SCRIPT, {
    headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" },
  });
}
