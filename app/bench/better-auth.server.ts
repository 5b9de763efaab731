/**
 * Benchmark-only (built only with BENCH_ROUTES=1): better-auth, the peer the
 * session check is compared with, as an app would configure it for sessions
 * as immediate as ours: database sessions through its documented `pg` Pool,
 * the cookie cache off (with it on, a revoked session keeps working until the
 * cached cookie expires). bench/lib/better-auth.ts uses the same options.
 */
import { betterAuth } from "better-auth";
import pg from "pg";

export const BETTER_AUTH_SECRET = "bench-better-auth-secret-0123456789abcdef";

export function betterAuthOptions(pool: pg.Pool) {
  return {
    database: pool,
    secret: BETTER_AUTH_SECRET,
    baseURL: "http://localhost:3000",
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: false } },
    telemetry: { enabled: false },
    logger: { disabled: true },
  };
}

function createAuth() {
  return betterAuth(betterAuthOptions(new pg.Pool({ connectionString: process.env.BENCH_BETTER_AUTH_URL, max: 10 })));
}
let auth: ReturnType<typeof createAuth> | undefined;

/** The request's better-auth session, or a 401 (the bench app gets BENCH_BETTER_AUTH_URL). */
export async function requireBetterAuthSession(request: Request) {
  auth ??= createAuth();
  const found = await auth.api.getSession({ headers: request.headers });
  if (!found) throw new Response("Unauthorized", { status: 401 });
  return found;
}
