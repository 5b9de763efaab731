import type { ActionFunctionArgs } from "@remix-run/node";
import { handleCommerce7Activation, methodNotAllowed } from "~/lib/platforms/commerce7.server";

/** POST /install/commerce7: Commerce7 activates the app for a tenant (Basic auth, JSON body). */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed();
  return handleCommerce7Activation(request);
}

export function loader() {
  return methodNotAllowed();
}
