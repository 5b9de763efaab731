// Benchmark-only: /app's layout with NO session check (the cost floor of the page itself).
import { json } from "@remix-run/node";
import { layoutData } from "./fixtures";

export { default } from "~/routes/app";

export function loader() {
  return json(layoutData);
}
