/**
 * The peer for the session check: better-auth (https://better-auth.com), the
 * most used session library for TypeScript apps today, configured as close
 * to our guarantees as it goes: sessions in the database (no secondary
 * storage), the cookie cache OFF (with it on, a revoked session keeps working
 * until the cached cookie expires, which our product refuses), on the same
 * PostgreSQL server through its documented `pg` Pool.
 *
 * Its tables live in their own scratch database on that server; rows are
 * made by the database itself (INSERT ... SELECT), tokens recomputable like
 * ours, and cookies signed the way better-call signs them (HMAC-SHA256,
 * base64, `token.signature`, URI-encoded), which `verify()` proves through
 * better-auth's own API before anything is measured.
 */
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { betterAuth } from "better-auth";
import { BETTER_AUTH_SECRET, betterAuthOptions } from "~/bench/better-auth.server";
import { getMigrations } from "better-auth/db/migration";
import pg from "pg";

const COOKIE = "better-auth.session_token";

export function betterAuthToken(i: number): string {
  return `ba${String(i).padStart(30, "0")}`;
}

/** The Cookie header better-auth expects for session token `token`. */
export function betterAuthCookie(token: string): string {
  const signature = createHmac("sha256", BETTER_AUTH_SECRET).update(token).digest("base64");
  return `${COOKIE}=${encodeURIComponent(`${token}.${signature}`)}`;
}

export interface BetterAuthPeer {
  version: string;
  /** Grow its session table to `size` live sessions (1,000 users). */
  populate(size: number): Promise<void>;
  /** better-auth's own getSession for session `i`; throws unless it finds it. */
  getSession(headers: Headers): Promise<unknown>;
  headersFor(i: number): Headers;
  /** Make a session, find it, revoke it, and prove the next getSession refuses it (as our check does). */
  verifyRevocation(): Promise<void>;
  close(): Promise<void>;
}

export async function openBetterAuthPeer(url: string): Promise<BetterAuthPeer> {
  const pool = new pg.Pool({ connectionString: url, max: 10, idleTimeoutMillis: 30_000 });
  const options = betterAuthOptions(pool);
  const auth = betterAuth(options);
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  await pool.query(
    `insert into "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
     select 'user-' || g, 'Bench User', 'user-' || g || '@bench.example', true, now(), now()
       from generate_series(0, 999) g on conflict do nothing`,
  );
  let populated = 0;
  // better-auth exports no package.json: read it beside its entry point.
  const pkg = JSON.parse(fs.readFileSync(path.resolve("node_modules/better-auth/package.json"), "utf8")) as { version: string };

  const peer: BetterAuthPeer = {
    version: pkg.version,
    async populate(size) {
      for (let start = populated; start < size; start += 50_000) {
        const end = Math.min(size, start + 50_000);
        await pool.query(
          `insert into "session" (id, token, "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent")
           select 'session-' || g, 'ba' || lpad(g::text, 30, '0'), 'user-' || (g % 1000),
                  now() + interval '7 days', now(), now(), '127.0.0.1', 'bench'
             from generate_series($1::int, $2::int - 1) g`,
          [start, end],
        );
      }
      populated = Math.max(populated, size);
      await pool.query(`analyze "session"`);
    },
    async getSession(headers) {
      const found = await auth.api.getSession({ headers });
      if (!found) throw new Error("better-auth did not find the session");
      return found;
    },
    headersFor(i) {
      return new Headers({ cookie: betterAuthCookie(betterAuthToken(i)) });
    },
    async verifyRevocation() {
      const token = "ba-revocation-probe";
      await pool.query(
        `insert into "session" (id, token, "userId", "expiresAt", "createdAt", "updatedAt")
         values ('session-revocation-probe', $1, 'user-0', now() + interval '7 days', now(), now())`,
        [token],
      );
      const headers = new Headers({ cookie: betterAuthCookie(token) });
      await peer.getSession(headers);
      await pool.query(`delete from "session" where token = $1`, [token]);
      if (await auth.api.getSession({ headers })) throw new Error("better-auth accepted a revoked session");
    },
    close: () => pool.end(),
  };
  return peer;
}
