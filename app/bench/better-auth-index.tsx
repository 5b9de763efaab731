// Benchmark-only: /app's dashboard authenticated by better-auth.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireBetterAuthSession } from "./better-auth.server";
import { dashboardData } from "./fixtures";

export { default } from "~/routes/app._index";

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requireBetterAuthSession(request);
  return json({ ...dashboardData, user: user.name });
}
