// Benchmark-only: the dashboard, re-verifying with Commerce7 on every request.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { dashboardData } from "./fixtures";
import { reverify } from "./reverify.server";

export { default } from "~/routes/app._index";

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, client } = await reverify(request);
  return json({ ...dashboardData, client: client.organizationName ?? client.externalId, user: user.firstName });
}
