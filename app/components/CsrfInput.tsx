import { useRouteLoaderData } from "@remix-run/react";
import type { loader as appLoader } from "~/routes/app";

/** The session's CSRF token, for every form of the app (checked by requireActionSession). */
export function CsrfInput() {
  const data = useRouteLoaderData<typeof appLoader>("routes/app");
  return <input type="hidden" name="csrf" value={data?.csrfToken ?? ""} />;
}
