import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleDataRequestFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { isDataRequest, NO_STORE, retryAfterOf } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import "~/lib/platforms/index.server";
import { releaseRequestContext } from "~/lib/sessions/request-context.server";
import { applyDocumentHeaders } from "~/lib/security.server";
import { resolvedAppSession } from "~/lib/sessions/core.server";

export { boot, shutdown, ConfigError } from "~/lib/server-lifecycle.server";
export { requestGuards } from "~/lib/request-guards.server";

const ABORT_DELAY = 5_000;

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  _loadContext: AppLoadContext,
) {
  // frame-ancestors names the shop only when this request proved it (a
  // verified session token, or the session it created); never a query
  // parameter. Read before the request's context is released below.
  const session = await resolvedAppSession(request);
  for (const cookie of releaseRequestContext(request)) responseHeaders.append("Set-Cookie", cookie);
  // A thrown 429 keeps its Retry-After on the rendered page (see retryAfterOf).
  const retryAfter = retryAfterOf(Object.values(remixContext.staticHandlerContext.errors ?? {}));
  if (retryAfter) responseHeaders.set("Retry-After", retryAfter);
  const apiError = jsonErrorFor(request, remixContext);
  if (apiError) {
    // Not a page: no admin may frame it (server.js adds frame-ancestors 'none').
    responseHeaders.set("Content-Type", "application/json; charset=utf-8");
    responseHeaders.set("Cache-Control", NO_STORE);
    return new Response(JSON.stringify(apiError.data), { status: apiError.status, headers: responseHeaders });
  }
  applyDocumentHeaders(
    responseHeaders,
    !session ? null : session.platform === "shopify" ? { platform: "shopify", shop: session.clientExternalId } : { platform: "commerce7" },
  );
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />,
      {
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) logger.error({ err: error }, "render error");
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

/**
 * An API client (Accept: application/json) asking for a page that refused it
 * (401 without a session, 503 in an outage) gets the JSON error itself, not
 * the HTML error page; so does one whose page failed (a 404, or a 500 that
 * says nothing more).
 */
function jsonErrorFor(request: Request, context: EntryContext) {
  if (!isDataRequest(request)) return null;
  const errors = Object.values(context.staticHandlerContext.errors ?? {});
  for (const error of errors) {
    if (isRouteErrorResponse(error) && typeof (error.data as { error?: unknown } | null)?.error === "string") {
      return { status: error.status, data: error.data as { error: string; message: string } };
    }
  }
  const first = errors[0];
  if (first === undefined) return null;
  if (!isRouteErrorResponse(first)) {
    return { status: 500, data: { error: "internal", message: "Something went wrong. Please try again." } };
  }
  const notFound = first.status === 404;
  return {
    status: first.status,
    data: {
      error: notFound ? "not_found" : "error",
      message: notFound ? "There is nothing at this address." : first.statusText || "The request could not be served.",
    },
  };
}

export const handleDataRequest: HandleDataRequestFunction = (response, { request }) => {
  // Remix's own data errors (a thrown Error, a route that does not match) say only
  // "Unexpected Server Error": answer `{ error, message }` like every refusal.
  if (response.headers.get("X-Remix-Error") === "yes") response = remixDataError(response);
  if (!response.headers.has("Cache-Control")) response.headers.set("Cache-Control", "no-store");
  for (const cookie of releaseRequestContext(request)) response.headers.append("Set-Cookie", cookie);
  return response;
};

function remixDataError(response: Response): Response {
  const status = response.status;
  const body =
    status >= 500
      ? { error: "internal", message: "Something went wrong. Please try again." }
      : { error: status === 404 ? "not_found" : "error", message: response.statusText || "The request could not be served." };
  const headers = new Headers(response.headers);
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.delete("Content-Length");
  return new Response(JSON.stringify(body), { status, headers });
}

export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted || isRouteErrorResponse(error)) return;
  logger.error({ err: error, method: request.method, path: new URL(request.url).pathname }, "unhandled error");
}
