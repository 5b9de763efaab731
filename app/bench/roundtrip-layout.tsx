// Benchmark-only: /app's layout with no session check but one bare database round trip (select 1): any route's I/O floor.
import { json } from "@remix-run/node";
import { getStore } from "~/lib/db/index.server";
import { benchLayoutData } from "./layout-data.server";

export { default } from "~/routes/app";

export async function loader() {
  await (await getStore()).ping();
  return json(benchLayoutData());
}
