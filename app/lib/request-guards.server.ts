/**
 * What server.js runs before Remix sees a request, and after it answered.
 *
 * Before: requests no route can serve well are refused here with a clear
 * status and message, in the shape the client reads (JSON for data and API
 * requests and for API routes, a small page for documents), instead of a 500
 * or Remix's bare "Unexpected Server Error":
 *   - an address that does not decode (invalid percent-encoding or UTF-8) or
 *     that holds a NUL: 400;
 *   - a method the route does not take (POST to a loader-only route, GET to an
 *     action-only one, PUT/DELETE/TRACE anywhere): 405 with `Allow`; OPTIONS:
 *     204 with `Allow`;
 *   - an unsafe method from another site (`Sec-Fetch-Site` other than
 *     same-origin/none, or a foreign `Origin`): 403, for every route, `?_data`
 *     included. Platforms' server-to-server calls carry neither header;
 *   - a body declared (Content-Length) larger than any route reads: 413.
 * After: a body the route left unread (a 413, a 401 that did not need it) is
 * read and discarded, so the client gets its answer instead of a reset
 * (keepConnectionForUnreadBody).
 *
 * Express middleware, exported from the server build (entry.server.tsx) so it
 * is typed and linted with the app; server.js mounts it first.
 */
import type { ServerBuild } from "@remix-run/node";
import { matchRoutes } from "@remix-run/react";
import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from "express";
import onHeaders from "on-headers";
import { isStorableText } from "~/lib/db/storable-text";
import { isDataRequestFrom } from "~/lib/http.server";

/** Larger than any route's own limit (request-body.server.ts): a declared body past it is refused unread. */
export const MAX_DECLARED_BODY_BYTES = 1024 * 1024;

/** A body left unread after the answer: see keepConnectionForUnreadBody. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;
const LINGER_MS = 5_000;

const PAGE_METHODS = ["GET", "HEAD"] as const;
const ACTION_METHODS = ["POST"] as const;

type BuildRoute = ServerBuild["routes"][string];
interface TreeRoute {
  id: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: TreeRoute[];
}

const trees = new WeakMap<ServerBuild["routes"], TreeRoute[]>();

/** The build's routes as the nested tree matchRoutes takes (built once per build). */
function routeTree(routes: ServerBuild["routes"]): TreeRoute[] {
  const cached = trees.get(routes);
  if (cached) return cached;
  const childrenOf = (parentId: string | undefined): TreeRoute[] =>
    Object.values(routes)
      .filter((route) => route.parentId === parentId)
      .map((route) => {
        const children = childrenOf(route.id);
        return { id: route.id, path: route.path, index: route.index, caseSensitive: route.caseSensitive, ...(children.length ? { children } : {}) };
      });
  const tree = childrenOf(undefined);
  trees.set(routes, tree);
  return tree;
}

const isPage = (route: BuildRoute) => route.module.default != null || route.module.ErrorBoundary != null;

/** Remix's rule: an index route's action only with a bare `?index`; otherwise the deepest route with a path. */
function actionTarget(matched: BuildRoute[], search: URLSearchParams): BuildRoute {
  const leaf = matched[matched.length - 1];
  if (leaf.index && search.getAll("index").some((value) => value === "")) return leaf;
  const contributing = matched.filter((route, i) => i === 0 || (route.path?.length ?? 0) > 0);
  return contributing[contributing.length - 1];
}

export interface RouteMethods {
  /** The methods this URL takes (the `Allow` header), OPTIONS aside. */
  allowed: string[];
  /** An API route (no page): its refusals are JSON whatever the Accept header. */
  api: boolean;
}

/** Which methods the route Remix would pick for this URL takes; null when no route matches (a 404). */
export function routeMethods(routes: ServerBuild["routes"], url: URL): RouteMethods | null {
  const matches = matchRoutes(routeTree(routes) as never, url.pathname) as Array<{ route: TreeRoute }> | null;
  if (!matches || matches.length === 0) return null;
  const matched = matches.map((match) => routes[match.route.id]);
  const dataRouteId = url.searchParams.get("_data");
  if (dataRouteId !== null) {
    // A data request names its route: that route's loader and action.
    const named = matched.find((route) => route.id === dataRouteId);
    if (!named) return null;
    return {
      allowed: [...(named.module.loader ? PAGE_METHODS : []), ...(named.module.action ? ACTION_METHODS : [])],
      api: true,
    };
  }
  const leaf = matched[matched.length - 1];
  if (!isPage(leaf)) {
    return {
      allowed: [...(leaf.module.loader ? PAGE_METHODS : []), ...(leaf.module.action ? ACTION_METHODS : [])],
      api: true,
    };
  }
  return { allowed: [...PAGE_METHODS, ...(actionTarget(matched, url.searchParams).module.action ? ACTION_METHODS : [])], api: false };
}

function header(req: ExpressRequest, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? null);
}

function wantsJson(req: ExpressRequest, api: boolean): boolean {
  return (
    api ||
    isDataRequestFrom({
      hasDataParam: Object.hasOwn(req.query ?? {}, "_data"),
      header: (name) => header(req, name),
    })
  );
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Not allowed",
  404: "Not found",
  405: "Method not allowed",
  413: "Too large",
};

/** The refusal, as `{ error, message }` JSON or as a small page. */
export function refuse(
  req: ExpressRequest,
  res: ExpressResponse,
  refusal: { status: number; error: string; message: string; api?: boolean; headers?: Record<string, string> },
): void {
  res.status(refusal.status).set({ "Cache-Control": "no-store", ...refusal.headers });
  if (wantsJson(req, refusal.api ?? false)) {
    res.json({ error: refusal.error, message: refusal.message });
    return;
  }
  const title = TITLES[refusal.status] ?? "Request refused";
  res
    .type("html")
    .send(
      `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">` +
        `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(refusal.message)}</p><p><a href="/">Back to the start page</a></p></body></html>`,
    );
}

/**
 * Does the raw request target decode to text the app can use? The path must
 * percent-decode as UTF-8; query parameters too (a lone `%` stays literal, as
 * URLSearchParams reads it); neither may hold a NUL. (Percent-encoded UTF-16
 * surrogates are invalid UTF-8, so no unpaired surrogate gets through either.)
 */
export function malformedTarget(rawUrl: string): string | null {
  const q = rawUrl.indexOf("?");
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = q === -1 ? "" : rawUrl.slice(q + 1);
  let decodedPath: string;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    return "The address is not valid: its percent-encoding does not decode as UTF-8.";
  }
  if (!isStorableText(decodedPath)) return "The address must not contain NUL characters.";
  for (const part of query.split(/[&;]/)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part.replace(/\+/g, " ").replace(/%(?![0-9a-fA-F]{2})/g, "%25"));
    } catch {
      return "A query parameter is not valid: its percent-encoding does not decode as UTF-8.";
    }
    if (!isStorableText(decoded)) return "A query parameter must not contain NUL characters.";
  }
  return null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Did a browser send this from another site? Fetch Metadata when the browser
 * sends it (same-origin, or none for a user's own navigation, pass); and an
 * Origin, when there is one, must be this host (Remix would THROW on a
 * foreign or unparsable one: a 500). Neither header: not a browser's
 * cross-site request (a platform's server-to-server call, a CLI).
 */
function crossSite(req: ExpressRequest): boolean {
  const site = header(req, "sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return true;
  const origin = header(req, "origin");
  if (origin === null) return false;
  let originHost: string | null = null;
  try {
    originHost = origin === "null" ? null : new URL(origin).host;
  } catch {
    originHost = null;
  }
  // X-Forwarded-Host names the public host only when it comes from a proxy
  // TRUST_PROXY trusts (Express's own rule); from anyone else it is ignored.
  const trustsProxy = req.app?.get("trust proxy fn") as ((address: string | undefined, hop: number) => boolean) | undefined;
  const forwardedHost = trustsProxy?.(req.socket?.remoteAddress, 0) ? header(req, "x-forwarded-host")?.split(",")[0]?.trim() : undefined;
  const host = forwardedHost || header(req, "host");
  return originHost === null || originHost !== host;
}

/**
 * A body the route did not read (a 413, a 405, a 401 that did not need it)
 * is still on its way when the answer is written. Closing the connection then
 * would reset it under a client that is still sending, and the client would
 * see a network error instead of the answer (Node closes it right after the
 * answer when the client sent `Connection: close`). So the answer keeps the
 * connection, and the rest of the body is read and discarded: up to
 * DRAIN_LIMIT_BYTES the connection stays usable (closed at the body's end only
 * if the client asked); past it the app half-closes (FIN after the answer) and
 * goes on discarding until the client stops or LINGER_MS pass, then closes.
 * Memory stays flat either way: nothing is kept.
 */
export function keepConnectionForUnreadBody(req: ExpressRequest, res: ExpressResponse): void {
  onHeaders(res, () => {
    if (!req.complete && !req.destroyed) res.setHeader("Connection", "keep-alive");
  });
  res.once("finish", () => finishUnreadBody(req));
}

function finishUnreadBody(req: ExpressRequest): void {
  if (req.complete || req.destroyed) return;
  const socket = req.socket;
  const clientAskedClose = /\bclose\b/i.test(header(req, "connection") ?? "");
  let drained = 0;
  let lingering: NodeJS.Timeout | null = null;
  // The Remix request's body stream stopped reading when the app did; nobody reads it now.
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained <= DRAIN_LIMIT_BYTES || lingering) return;
    socket.end();
    lingering = setTimeout(() => socket.destroy(), LINGER_MS);
    lingering.unref();
    socket.once("close", () => clearTimeout(lingering as NodeJS.Timeout));
  });
  req.once("end", () => {
    if (lingering) socket.destroy();
    else if (clientAskedClose) socket.end();
  });
  req.resume();
}

/**
 * The guards, in order, as one Express middleware. `getBuild` returns the
 * current build (development reloads it).
 */
export function requestGuards(getBuild: () => ServerBuild): RequestHandler {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    keepConnectionForUnreadBody(req, res);

    const malformed = malformedTarget(req.url);
    if (malformed) return refuse(req, res, { status: 400, error: "bad_request", message: malformed });

    // Origin-form only ("/path?query"), as Remix builds its URL from it; not "*" nor an absolute URL.
    if (!req.url.startsWith("/")) {
      return refuse(req, res, { status: 400, error: "bad_request", message: "The request target must be a path." });
    }
    const url = new URL(`http://app.invalid${req.url}`);
    const methods = routeMethods(getBuild().routes, url);
    if (!methods) {
      // No route: static files, Remix's own endpoints and its 404 page follow. A
      // data request naming a route this URL does not have gets its JSON 404 here.
      if (Object.hasOwn(req.query ?? {}, "_data")) {
        return refuse(req, res, { status: 404, error: "not_found", message: "No route at this address answers this data request." });
      }
      return next();
    }
    const allow = [...methods.allowed, "OPTIONS"].join(", ");
    if (req.method === "OPTIONS") {
      res.status(204).set({ Allow: allow, "Cache-Control": "no-store" }).end();
      return;
    }
    if (!methods.allowed.includes(req.method)) {
      return refuse(req, res, {
        status: 405,
        error: "method_not_allowed",
        message: `${req.method} is not allowed here. Use ${methods.allowed.join(" or ") || "nothing"}.`,
        api: methods.api,
        headers: { Allow: allow },
      });
    }
    if (!SAFE_METHODS.has(req.method) && crossSite(req)) {
      return refuse(req, res, {
        status: 403,
        error: "csrf",
        message: "This request did not come from the app's own pages.",
        api: methods.api,
      });
    }
    const declared = Number(header(req, "content-length") ?? 0);
    if (declared > MAX_DECLARED_BODY_BYTES) {
      return refuse(req, res, {
        status: 413,
        error: "body_too_large",
        message: `The body is larger than ${MAX_DECLARED_BODY_BYTES} bytes.`,
        api: methods.api,
      });
    }
    next();
  };
}
