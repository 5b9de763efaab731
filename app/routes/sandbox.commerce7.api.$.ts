import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { requireSandbox } from "~/lib/platforms/plug.server";

/** /sandbox/commerce7/api/v1/*: the sandbox's Commerce7 API over real HTTP (the app itself calls it in-process). */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox();
  const { handleSandboxApi } = await import("~/lib/sandbox/commerce7.server");
  return handleSandboxApi(request);
}

export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const { handleSandboxApi } = await import("~/lib/sandbox/commerce7.server");
  return handleSandboxApi(request);
}
