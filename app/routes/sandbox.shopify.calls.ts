import { json } from "@remix-run/node";
import { requireSandbox } from "~/lib/platforms/plug.server";

/** GET /sandbox/shopify/calls: every call the app made to the sandboxed Shopify, by kind (tests read it). */
export async function loader() {
  requireSandbox();
  const { sandboxPlatformCalls } = await import("~/lib/sandbox/shopify.server");
  return json(sandboxPlatformCalls(), { headers: { "Cache-Control": "no-store" } });
}
