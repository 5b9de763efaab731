/**
 * The sandbox as a plug at the platform seam (platform-plug.server.ts): what
 * the production code asks of "Shopify" and "Commerce7", answered by the
 * local stand-ins. Only the composition root imports this module, and only
 * when the sandbox is allowed.
 */
import type { PlatformPlug } from "~/lib/platforms/plug.server";
import { env } from "~/lib/env.server";
import {
  handleSandboxApi,
  sandboxApiUrl,
  sandboxAppCredentials,
  sandboxInstallCredentials,
  SANDBOX_PATH,
} from "./commerce7.server";
import { sandboxAdminUrl } from "./index.server";
import { handleSandboxPlatformRequest, sandboxBrowserUrl, sandboxShopifyCredentials } from "./shopify.server";

export function createSandboxPlug(): PlatformPlug {
  return {
    shopify: {
      credentials: sandboxShopifyCredentials,
      fetch: handleSandboxPlatformRequest,
      browserUrl: sandboxBrowserUrl,
      adminUrl: (store) => sandboxAdminUrl(`/sandbox/shopify/admin/${store}`),
      appBridgeScriptUrl: "/sandbox/shopify/app-bridge.js",
    },
    commerce7: {
      apiUrl: sandboxApiUrl,
      appCredentials: sandboxAppCredentials,
      installCredentials: sandboxInstallCredentials,
      fetch: handleSandboxApi,
      adminUrl: (tenantId) => sandboxAdminUrl(`${SANDBOX_PATH}/admin?${new URLSearchParams({ tenantId })}`),
      scriptUrl: `${SANDBOX_PATH}/commerce7.js`,
    },
    adminOrigin: () => env().SANDBOX_ADMIN_URL ?? null,
  };
}
