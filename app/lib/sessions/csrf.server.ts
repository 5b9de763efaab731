/**
 * CSRF protection for cookie-authenticated actions.
 *
 * The session cookie is SameSite=None (it must ride inside the admin's
 * iframe), so the browser attaches it to cross-site POSTs. Two checks, both
 * required:
 *   1. the request comes from our own origin: `Sec-Fetch-Site: same-origin`,
 *      or, from browsers that do not send that header, an exact `Origin` match;
 *   2. the form carries the session's synchronizer token (`csrf`), kept in the
 *      app session row and rendered into every form.
 * Requests authenticated by `Authorization: Bearer` are exempt: browsers never
 * attach that header by themselves, so a cross-site page cannot forge it.
 *
 * Hand-written because the kept libraries (remix-utils' CSRF) implement the
 * double-submit cookie pattern, not a synchronizer token in the session row.
 */
import { timingSafeEqual } from "node:crypto";
import { env } from "~/lib/env.server";
import { jsonError } from "~/lib/http.server";
import { readFormBody } from "~/lib/request-body.server";
import { requireAppSession, type AppSession } from "~/lib/sessions/core.server";

export const CSRF_FIELD = "csrf";

function appOrigins(request: Request): Set<string> {
  // APP_URL is the public origin; behind a proxy the request URL may differ.
  return new Set([new URL(env().APP_URL).origin, new URL(request.url).origin]);
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type CsrfFailure = "cross_origin" | "missing_token" | "bad_token";

/**
 * Did the request come from the app's own pages? `Sec-Fetch-Site:
 * same-origin`, or, from browsers that do not send that header, an `Origin`
 * exactly the app's. A request with neither is not trusted.
 */
export function fromOwnOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin";
  const origin = request.headers.get("origin");
  return origin !== null && appOrigins(request).has(origin);
}

/** Why this request fails the CSRF checks, or null when it passes. */
export function csrfFailure(request: Request, session: AppSession, submitted: FormDataEntryValue | null): CsrfFailure | null {
  if (session.via === "bearer") return null;
  if (!fromOwnOrigin(request)) return "cross_origin";

  if (typeof submitted !== "string" || submitted.length === 0) return "missing_token";
  return sameString(submitted, session.csrfToken) ? null : "bad_token";
}

/** 403 JSON; documents see it through the error boundary, which shows the message. */
export function csrfRefusal(failure: CsrfFailure): Response {
  const message =
    failure === "cross_origin"
      ? "This request did not come from the app's own pages."
      : "This form has expired or was not sent by the app. Reload the page and try again.";
  return jsonError(403, "csrf", message);
}

/**
 * Check an action's request; throws a 403 Response on failure. Returns the
 * parsed form data so the action does not read the body twice.
 */
export async function requireCsrf(request: Request, session: AppSession): Promise<FormData> {
  const form = await readFormBody(request);
  const failure = csrfFailure(request, session, form.get(CSRF_FIELD));
  if (failure) throw csrfRefusal(failure);
  return form;
}

/** Every protected action starts here: the session, then the CSRF checks, then the form. */
export async function requireActionSession(request: Request): Promise<{ session: AppSession; form: FormData }> {
  const session = await requireAppSession(request);
  const form = await requireCsrf(request, session);
  return { session, form };
}
