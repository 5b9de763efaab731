/**
 * Where a merchant goes to open the app again: their platform's admin (or,
 * in development, the platform sandbox's admin page).
 */
import { z } from "zod";
import { tenantIdSchema } from "~/lib/platforms/commerce7/config.server";
import { env } from "~/lib/env.server";
import { platformSandbox } from "~/lib/platforms/plug.server";

const shopDomain = z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/);

export interface AdminLink {
  platform: "shopify" | "commerce7";
  label: string;
  href: string;
}

/** A link back into the right admin, from untrusted query parameters (validated; anything odd gives null). */
export function adminLinkFor(params: URLSearchParams): AdminLink | null {
  const platform = params.get("platform");
  if (platform === "shopify") {
    const shop = shopDomain.safeParse(params.get("shop"));
    if (!shop.success) return null;
    const store = shop.data.replace(/\.myshopify\.com$/, "");
    const sandbox = platformSandbox();
    const href = sandbox
      ? sandbox.shopify.adminUrl(store)
      : `https://admin.shopify.com/store/${store}/apps/${env().SHOPIFY_API_KEY ?? ""}`;
    return { platform, label: "Open the app in your Shopify admin", href };
  }
  if (platform === "commerce7") {
    const tenant = tenantIdSchema.safeParse(params.get("tenant"));
    if (!tenant.success) return null;
    const sandbox = platformSandbox();
    const href = sandbox
      ? sandbox.commerce7.adminUrl(tenant.data)
      : "https://admin.platform.commerce7.com";
    return { platform, label: "Open the app in your Commerce7 admin", href };
  }
  return null;
}
