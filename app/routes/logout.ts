import type { ActionFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { csrfFailure, csrfRefusal, CSRF_FIELD } from "~/lib/csrf.server";
import { isDataRequest, reasonPath, withDatabase } from "~/lib/http.server";
import { enforceRateLimit } from "~/lib/rate-limit.server";
import { destroyAppSession, getAppSession } from "~/lib/sessions.server";

/**
 * POST /logout: destroy the session row, clear the cookie (Max-Age=0), and
 * land on the explanation. Rate limited per IP (429 before anything is
 * done); a cookie-authenticated logout passes the CSRF checks first, so
 * another site cannot sign a merchant out.
 */
export async function action({ request }: ActionFunctionArgs) {
  await withDatabase(() => enforceRateLimit(request, "logout"));
  const { session } = await withDatabase(() => getAppSession(request));
  if (session) {
    const form = await request.formData().catch(() => new FormData());
    const failure = csrfFailure(request, session, form.get(CSRF_FIELD));
    if (failure) throw csrfRefusal(failure);
  }
  const { headers } = await destroyAppSession(request, { session });
  headers.set("Clear-Site-Data", '"cookies"');
  // API clients get JSON; documents and Remix form submissions follow the redirect.
  if (isDataRequest(request) && request.headers.get("x-remix-data") !== "1") {
    return json({ ok: true, reason: "logged_out" }, { headers });
  }
  const origin = session ? { platform: session.platform, externalId: session.clientExternalId } : null;
  return redirect(reasonPath("logged_out", origin), { headers });
}

export function loader() {
  return json(
    { error: "method_not_allowed", message: "Use POST to log out." },
    { status: 405, headers: { Allow: "POST", "Cache-Control": "no-store" } },
  );
}
