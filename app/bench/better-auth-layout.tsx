// Benchmark-only: /app's layout authenticated by better-auth (database session, cookie cache off).
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireBetterAuthSession } from "./better-auth.server";
import { benchLayoutData } from "./layout-data.server";

export { default } from "~/routes/app";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireBetterAuthSession(request);
  return json(benchLayoutData());
}
