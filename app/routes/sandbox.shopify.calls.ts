import { json } from "@remix-run/node";
import { requireSandbox } from "~/lib/sandbox/index.server";
import { sandboxPlatformCalls } from "~/lib/sandbox/shopify.server";

/** GET /sandbox/shopify/calls: every call the app made to the sandboxed Shopify, by kind (tests read it). */
export function loader() {
  requireSandbox("shopify");
  return json(sandboxPlatformCalls(), { headers: { "Cache-Control": "no-store" } });
}
