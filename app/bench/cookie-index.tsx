// Benchmark-only: /app's dashboard authenticated by a cookie session.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireCookieSession } from "./cookie-session.server";
import { dashboardData } from "./fixtures";

export { default } from "~/routes/app._index";

export async function loader({ request }: LoaderFunctionArgs) {
  const data = await requireCookieSession(request);
  return json({ ...dashboardData, client: String(data.client), user: String(data.user) });
}
