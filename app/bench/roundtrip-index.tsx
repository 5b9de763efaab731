// Benchmark-only: /app's dashboard with no session check but one bare database round trip (select 1).
import { json } from "@remix-run/node";
import { getStore } from "~/lib/db/index.server";
import { dashboardData } from "./fixtures";

export { default } from "~/routes/app._index";

export async function loader() {
  await (await getStore()).ping();
  return json(dashboardData);
}
