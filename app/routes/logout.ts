import type { ActionFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { isDataRequest, withDatabase } from "~/lib/http.server";
import { enforceRateLimit } from "~/lib/rate-limit.server";
import { destroyAppSession } from "~/lib/sessions.server";

/** POST /logout: destroy the session row, clear the cookie, land on the explanation. Rate limited per IP. */
export async function action({ request }: ActionFunctionArgs) {
  await withDatabase(() => enforceRateLimit(request, "logout"));
  const { headers } = await destroyAppSession(request);
  headers.set("Clear-Site-Data", '"cookies"');
  // API clients get JSON; documents and Remix form submissions follow the redirect.
  if (isDataRequest(request) && request.headers.get("x-remix-data") !== "1") {
    return json({ ok: true, reason: "logged_out" }, { headers });
  }
  return redirect("/?reason=logged_out", { headers });
}

export function loader() {
  return json({ error: "method_not_allowed", message: "Use POST to log out." }, { status: 405, headers: { Allow: "POST" } });
}
