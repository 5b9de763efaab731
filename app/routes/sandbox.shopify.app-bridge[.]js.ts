import { requireSandbox } from "~/lib/platforms/plug.server";

/** GET /sandbox/shopify/app-bridge.js: the App Bridge stand-in the app loads in sandbox mode. */
export async function loader() {
  requireSandbox();
  const { SANDBOX_APP_BRIDGE_SCRIPT } = await import("~/lib/sandbox/shopify-app-bridge.server");
  return new Response(SANDBOX_APP_BRIDGE_SCRIPT, {
    headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" },
  });
}
