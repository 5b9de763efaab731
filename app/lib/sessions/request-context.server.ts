/**
 * State shared by everything that handles ONE request.
 *
 * Remix runs a page's loaders in parallel and gives each its own copy of the
 * Request, so a session resolved (or an entry performed) by one loader is not
 * visible to the others through the Request object. server.js stamps every
 * request with a fresh `x-request-id` (a client-sent one is replaced), and
 * the copies keep their headers, so they all find the same context here.
 *
 * Two things live in it: the memoised session resolution (one lookup, one
 * platform verification per request, however many loaders ask) and cookies
 * to set on the response (entry.server.tsx appends them).
 */
export interface RequestContext {
  session?: Promise<unknown>;
  setCookies: string[];
}

const contexts = new Map<string, RequestContext>();
/** A context not released by the response (a resource route, an abort) is dropped after this. */
const MAX_AGE_MS = 60_000;

export function requestId(request: Request): string | null {
  return request.headers.get("x-request-id");
}

/** The client's address as server.js resolved it (trust proxy applied); a client-sent header of this name is replaced. */
export function clientIp(request: Request): string | null {
  return request.headers.get("x-client-ip") || null;
}

/** The request's User-Agent, bounded as the session row stores it. */
export function userAgent(request: Request): string | null {
  return request.headers.get("user-agent")?.slice(0, 512) ?? null;
}

export function requestContext(request: Request): RequestContext | null {
  const id = requestId(request);
  if (!id) return null;
  let context = contexts.get(id);
  if (!context) {
    context = { setCookies: [] };
    contexts.set(id, context);
    setTimeout(() => contexts.delete(id), MAX_AGE_MS).unref();
  }
  return context;
}

/** Ask for a Set-Cookie on this request's response (entry.server.tsx applies it). */
export function queueSetCookie(request: Request, setCookie: string): boolean {
  const context = requestContext(request);
  if (!context) return false;
  context.setCookies.push(setCookie);
  return true;
}

/** Called when the response is built: hand over the queued cookies and forget the request. */
export function releaseRequestContext(request: Request): string[] {
  const id = requestId(request);
  if (!id) return [];
  const context = contexts.get(id);
  contexts.delete(id);
  return context?.setCookies ?? [];
}
