import type { LoaderFunctionArgs } from "@remix-run/node";
import { withDatabase } from "~/lib/http.server";
import { completeInstall } from "~/lib/platforms/shopify.server";

/** GET /install/shopify/callback?code&hmac&host&shop&state&timestamp: finish the install. */
export function loader({ request }: LoaderFunctionArgs) {
  return withDatabase(() => completeInstall(request));
}
