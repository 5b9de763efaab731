import type { LoaderFunctionArgs } from "@remix-run/node";
import { withDatabase } from "~/lib/http.server";
import { beginInstall } from "~/lib/platforms/shopify.server";

/** GET /install/shopify?shop=…: start the App Store install (OAuth code grant). */
export function loader({ request }: LoaderFunctionArgs) {
  return withDatabase(() => beginInstall(request));
}
