/**
 * Errors as values, mapped to HTTP in one place.
 *
 * A request without a valid app session: a document request is redirected to
 * `/?reason=…`; a data or API request (Remix `_data`, `Accept:
 * application/json`, or a `Bearer` request) gets 401 JSON `{ error, message }`.
 */
import { isRouteErrorResponse } from "@remix-run/react";
import { DatabaseUnavailableError, UnstorableTextError } from "~/lib/db/errors.server";

export const SESSION_END_REASONS = ["unauthenticated", "expired", "idle", "revoked", "logged_out"] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export function isSessionEndReason(value: unknown): value is SessionEndReason {
  return typeof value === "string" && (SESSION_END_REASONS as readonly string[]).includes(value);
}

/** Short messages for API clients; the landing page explains at length. */
export const REASON_MESSAGES: Record<SessionEndReason, string> = {
  unauthenticated: "No valid session. Open the app from your Shopify or Commerce7 admin.",
  expired: "Your session reached its time limit. Open the app again from your admin.",
  idle: "You were signed out after a period of inactivity. Open the app again from your admin.",
  revoked: "This session was ended from another device. Open the app again from your admin.",
  logged_out: "You logged out. Open the app again from your admin.",
};

/** Remix data requests, API clients and Bearer-authenticated calls get JSON; documents get pages. */
export function isDataRequest(request: Request): boolean {
  return isDataRequestFrom({
    hasDataParam: new URL(request.url).searchParams.has("_data"),
    header: (name) => request.headers.get(name),
  });
}

/** The rule of isDataRequest over any request's parts (server.js's guards hold an Express request). */
export function isDataRequestFrom(parts: { hasDataParam: boolean; header: (name: string) => string | null }): boolean {
  // server.js marks `?_data` requests: Remix removes the parameter before loaders run.
  if (parts.header("x-remix-data") === "1" || parts.hasDataParam) return true;
  if (parts.header("authorization") !== null) return true;
  const accept = parts.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

export const NO_STORE = "no-store";

/**
 * `{ error, message }` JSON with the status. `extra` adds fields a client or
 * the error page can use (e.g. `title`, `supportUrl`, `field`); the root
 * ErrorBoundary renders the same body as a page for documents.
 */
export function jsonError(
  status: number,
  error: string,
  message: string,
  init: HeadersInit = {},
  extra: Record<string, string | number | null> = {},
): Response {
  const headers = new Headers(init);
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Cache-Control", NO_STORE);
  return new Response(JSON.stringify({ error, message, ...extra }), { status, headers });
}

/** Where the merchant came from, when the ended session tells us: the landing page links back there. */
export interface SessionOrigin {
  platform: "shopify" | "commerce7";
  /** Shop domain or Commerce7 tenant id. */
  externalId: string;
  /** The admin's theme, so the explanation page shown in its iframe matches it (Commerce7's dark mode). */
  theme?: "light" | "dark";
}

/**
 * `/?reason=…` (and the platform, when known, so the page can link back to
 * the right admin; `theme=dark` when the admin is dark).
 */
export function reasonPath(reason: SessionEndReason, origin?: SessionOrigin | null): string {
  const params = new URLSearchParams({ reason });
  if (origin) {
    params.set("platform", origin.platform);
    params.set(origin.platform === "shopify" ? "shop" : "tenant", origin.externalId);
    if (origin.theme === "dark") params.set("theme", "dark");
  }
  return `/?${params}`;
}

/** Where an ended (or current) session came from, for reasonPath. */
export function originOf(session: { platform: "shopify" | "commerce7"; clientExternalId: string; theme?: "light" | "dark" }): SessionOrigin {
  return { platform: session.platform, externalId: session.clientExternalId, theme: session.theme };
}

/** What to answer when a request has no valid app session. */
export function sessionRequiredResponse(
  request: Request,
  reason: SessionEndReason,
  init: HeadersInit = {},
  origin?: SessionOrigin | null,
): Response {
  // `reasonUrl`: the page that explains, for clients that want to show it (the app's own error boundary does).
  if (isDataRequest(request)) {
    return jsonError(401, reason, REASON_MESSAGES[reason], init, { reasonUrl: reasonPath(reason, origin) });
  }
  const headers = new Headers(init);
  headers.set("Location", reasonPath(reason, origin));
  headers.set("Cache-Control", NO_STORE);
  return new Response(null, { status: 302, headers });
}

export const UNAVAILABLE_MESSAGE =
  "The app cannot reach its database right now. Nothing was lost; please try again in a moment.";

export function serviceUnavailableResponse(message = UNAVAILABLE_MESSAGE): Response {
  return jsonError(503, "unavailable", message, { "Retry-After": "5" });
}

/**
 * 429 for a request over a rate limit (app/lib/operations/rate-limit.server.ts). The
 * body repeats Retry-After as `retryAfter` so a document request, which
 * Remix renders through the error boundary without the thrown headers, gets
 * the header back in entry.server.tsx.
 */
export function tooManyRequestsResponse(retryAfterSeconds: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new Response(
    JSON.stringify({
      error: "rate_limited",
      message: `Too many requests. Please wait ${seconds} second${seconds === 1 ? "" : "s"} and try again.`,
      retryAfter: seconds,
    }),
    {
      status: 429,
      headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": NO_STORE, "Retry-After": String(seconds) },
    },
  );
}

/**
 * The Retry-After of a thrown 429 among a rendered page's route errors.
 * Remix renders the error boundary without the thrown Response's headers
 * (only its status and body), so the seconds travel in the body's
 * `retryAfter` and entry.server.tsx sets the header from here.
 */
export function retryAfterOf(errors: unknown[]): string | null {
  for (const error of errors) {
    if (!isRouteErrorResponse(error) || error.status !== 429) continue;
    const seconds = (error.data as { retryAfter?: unknown } | null)?.retryAfter;
    if (typeof seconds === "number" && Number.isFinite(seconds)) return String(Math.max(1, Math.ceil(seconds)));
  }
  return null;
}

export const UNSTORABLE_TEXT_MESSAGE =
  "The request holds characters that cannot be stored (a NUL byte or an unpaired surrogate). Remove them and try again.";

/**
 * Run a loader or action body; a database outage becomes a 503 (a Response
 * Remix shows in the error boundary, or JSON to API clients) instead of a
 * 500, and a request value the database cannot store (UnstorableTextError,
 * refused before any SQL ran) a 400.
 */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw serviceUnavailableResponse();
    if (error instanceof UnstorableTextError) throw jsonError(400, "invalid_text", UNSTORABLE_TEXT_MESSAGE);
    throw error;
  }
}
