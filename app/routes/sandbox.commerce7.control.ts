import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { requireSandbox } from "~/lib/platforms/plug.server";

/** GET: the sandbox's call counter and settings; POST (JSON): latency, failure modes, virtual time. */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox();
  const { handleSandboxControl } = await import("~/lib/sandbox/commerce7.server");
  return handleSandboxControl(request);
}

export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const { handleSandboxControl } = await import("~/lib/sandbox/commerce7.server");
  return handleSandboxControl(request);
}
