// Benchmark-only: /app's layout, re-verifying with Commerce7 on every request (the "before").
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { layoutData } from "./fixtures";
import { reverify } from "./reverify.server";

export { default } from "~/routes/app";

export async function loader({ request }: LoaderFunctionArgs) {
  await reverify(request);
  return json(layoutData);
}
