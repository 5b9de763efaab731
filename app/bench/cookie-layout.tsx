// Benchmark-only: /app's layout authenticated by a cookie session (data in the cookie, no lookup).
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireCookieSession } from "./cookie-session.server";
import { benchLayoutData } from "./layout-data.server";

export { default } from "~/routes/app";

export async function loader({ request }: LoaderFunctionArgs) {
  const data = await requireCookieSession(request);
  return json({ ...benchLayoutData(), platform: data.platform as "commerce7", theme: data.theme as "light" });
}
