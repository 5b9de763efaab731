/**
 * The routes of the BUILT app (build/index.js), for suites that must visit
 * every one of them: the route audit (no protected route answers without a
 * session) and the security headers (every response carries them).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface BuiltRoute {
  id: string;
  parentId?: string;
  path?: string;
  index?: boolean;
  module: { loader?: unknown; action?: unknown; default?: unknown };
}

export async function builtRoutes(): Promise<Record<string, BuiltRoute>> {
  const build = await import(pathToFileURL(path.resolve("build/index.js")).href);
  return build.routes as Record<string, BuiltRoute>;
}

/** Every route module with a loader or an action (the root layout aside). */
export async function routesWithHandlers(): Promise<{ routes: Record<string, BuiltRoute>; withHandlers: BuiltRoute[] }> {
  const routes = await builtRoutes();
  const withHandlers = Object.values(routes).filter((r) => r.id !== "root" && (r.module.loader || r.module.action));
  return { routes, withHandlers };
}

/** The URL path of a route; dynamic segments and splats become "x" (any value will do for these suites). */
export function urlPath(routes: Record<string, BuiltRoute>, route: BuiltRoute): string {
  const segments: string[] = [];
  for (let r: BuiltRoute | undefined = route; r; r = r.parentId ? routes[r.parentId] : undefined) {
    if (r.path) segments.unshift(r.path);
  }
  const joined = `/${segments.join("/")}`.replace(/\/+/g, "/");
  return joined.replace(/:[^/]+/g, "x").replace(/\*/g, "x");
}
