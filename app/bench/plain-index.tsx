// Benchmark-only: /app's dashboard with NO session check.
import { json } from "@remix-run/node";
import { dashboardData } from "./fixtures";

export { default } from "~/routes/app._index";

export function loader() {
  return json(dashboardData);
}
