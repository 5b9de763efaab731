import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { requireSandbox } from "~/lib/platforms/plug.server";
import { readJsonBody } from "~/lib/request-body.server";

const settings = z.object({
  accessTokenTtlSeconds: z.number().int().min(1).max(365 * 86400).optional(),
  grantedScopes: z.string().max(1000).optional(),
  revokeAccessTokens: z.boolean().optional(),
});

/** POST /sandbox/shopify/shops/:shop (JSON): change a sandbox shop (token lifetime, granted scopes, revoke its tokens). */
export async function action({ request, params }: ActionFunctionArgs) {
  requireSandbox();
  const { configureSandboxShop, sandboxShopDomain } = await import("~/lib/sandbox/shopify.server");
  const shop = sandboxShopDomain(params.shop ?? "");
  const parsed = settings.safeParse(await readJsonBody(request));
  if (!shop || !parsed.success) {
    return json({ error: "invalid_request", message: shop ? parsed.error?.issues[0].message : "not a sandbox shop" }, { status: 400 });
  }
  return json(configureSandboxShop(shop, parsed.data));
}
