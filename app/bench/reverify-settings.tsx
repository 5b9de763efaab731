// Benchmark-only: the settings page, re-verifying with Commerce7 on every request and action.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { reverifiedSave, reverify } from "./reverify.server";

export { default } from "~/routes/app.settings";

export async function loader({ request }: LoaderFunctionArgs) {
  const { client } = await reverify(request);
  return json({ organizationName: client.organizationName ?? "" });
}

export async function action({ request }: ActionFunctionArgs) {
  return json(await reverifiedSave(request));
}
