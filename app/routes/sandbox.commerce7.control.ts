import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleSandboxControl } from "~/lib/sandbox/commerce7.server";
import { requireSandbox } from "~/lib/sandbox/index.server";

/** GET: the sandbox's call counter and settings; POST (JSON): latency, failure modes, virtual time. */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox("commerce7");
  return handleSandboxControl(request);
}

export async function action({ request }: ActionFunctionArgs) {
  requireSandbox("commerce7");
  return handleSandboxControl(request);
}
