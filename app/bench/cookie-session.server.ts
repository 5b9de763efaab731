/**
 * Benchmark-only: the stateless bound. Remix's createCookieSessionStorage
 * keeps the session data in the signed cookie itself: no database, and no
 * way to revoke it server-side (why the app does not use it).
 */
import { createCookieSessionStorage } from "@remix-run/node";

export const cookieSessions = createCookieSessionStorage({
  cookie: {
    name: "__Host-bench_cookie_session",
    httpOnly: true,
    path: "/",
    sameSite: "none",
    secure: true,
    secrets: [process.env.SESSION_SECRET?.split(",")[0] ?? "bench-secret-bench-secret-bench-secret"],
  },
});

export async function requireCookieSession(request: Request): Promise<Record<string, unknown>> {
  const session = await cookieSessions.getSession(request.headers.get("Cookie"));
  if (!session.has("clientId")) throw new Response("Unauthorized", { status: 401 });
  return session.data as Record<string, unknown>;
}
