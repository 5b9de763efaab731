import type { ActionFunctionArgs } from "@remix-run/node";
import { handleCommerce7Deactivation, methodNotAllowed } from "~/lib/platforms/commerce7.server";

/** POST /uninstall/commerce7: Commerce7 deactivates the app for a tenant (Basic auth, JSON body). */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed();
  return handleCommerce7Deactivation(request);
}

export function loader() {
  return methodNotAllowed();
}
