// Benchmark-only: /app's layout with NO session check (the cost floor of the page itself).
import { json } from "@remix-run/node";
import { benchLayoutData } from "./layout-data.server";

export { default } from "~/routes/app";

export function loader() {
  return json(benchLayoutData());
}
