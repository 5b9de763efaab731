import type { ActionFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { csrfFailure, csrfRefusal, CSRF_FIELD } from "~/lib/sessions/csrf.server";
import { isDataRequest, originOf, reasonPath, withDatabase } from "~/lib/http.server";
import { enforceRateLimit } from "~/lib/operations/rate-limit.server";
import { readFormBody } from "~/lib/request-body.server";
import { destroyAppSession, requireAppSession, type AppSession } from "~/lib/sessions/core.server";

/** The session this logout ends, however the request proves it (cookie, our token, App Bridge's); null if none. */
async function sessionToEnd(request: Request): Promise<AppSession | null> {
  try {
    return await requireAppSession(request);
  } catch (refusal) {
    // No live session (ended, unknown, none): nothing to end. An outage stays a 503.
    if (refusal instanceof Response && refusal.status < 500) return null;
    throw refusal;
  }
}

/**
 * POST /logout: destroy the session row, clear the cookie (Max-Age=0), and
 * land on the explanation. Rate limited per IP (429 before anything is
 * done); a cookie-authenticated logout passes the CSRF checks first, so
 * another site cannot sign a merchant out. In the Shopify admin without
 * cookies, App Bridge's session token names the session to end.
 */
export async function action({ request }: ActionFunctionArgs) {
  await withDatabase(() => enforceRateLimit(request, "logout"));
  const session = await sessionToEnd(request);
  if (session) {
    // A Bearer logout needs no form (csrfFailure exempts it); a cookie one sends the token in one.
    const form = session.via === "bearer" ? null : await readFormBody(request);
    const failure = csrfFailure(request, session, form?.get(CSRF_FIELD) ?? null);
    if (failure) throw csrfRefusal(failure);
  }
  const { headers } = await destroyAppSession(request, { session });
  headers.set("Clear-Site-Data", '"cookies"');
  // API clients get JSON; documents and Remix form submissions follow the redirect.
  if (isDataRequest(request) && request.headers.get("x-remix-data") !== "1") {
    return json({ ok: true, reason: "logged_out" }, { headers });
  }
  return redirect(reasonPath("logged_out", session ? originOf(session) : null), { headers });
}

export function loader() {
  return json(
    { error: "method_not_allowed", message: "Use POST to log out." },
    { status: 405, headers: { Allow: "POST", "Cache-Control": "no-store" } },
  );
}
