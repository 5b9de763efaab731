import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleSandboxApi } from "~/lib/sandbox/commerce7.server";
import { requireSandbox } from "~/lib/sandbox/index.server";

/** /sandbox/commerce7/api/v1/*: the sandbox's Commerce7 API over real HTTP (the app itself calls it in-process). */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox("commerce7");
  return handleSandboxApi(request);
}

export async function action({ request }: ActionFunctionArgs) {
  requireSandbox("commerce7");
  return handleSandboxApi(request);
}
