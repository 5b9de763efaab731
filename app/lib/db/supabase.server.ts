/**
 * Supabase through supabase-js: each session operation is one `.rpc()` call,
 * one HTTP round trip to PostgREST (Supabase's Data API), which runs the same
 * SQL function the other backends call, in the same one statement.
 *
 * Server-side client: no auth session kept, none refreshed, none read from a
 * URL; the service_role key is the only credential, sent as `apikey` and
 * `Authorization: Bearer` by supabase-js itself.
 *
 * How failures reach us (read in @supabase/postgrest-js 2.109, PostgrestBuilder):
 * - nothing is thrown: every failure resolves to `{ error, status }`;
 * - a fetch that throws (DNS, refused or reset connection, TLS) and the abort
 *   of the `db.timeout` below both come back as `status: 0` with
 *   `error.message` "<ErrorName>: <message>" and an empty `code`;
 * - calls are POSTs, which postgrest-js never retries (it retries only
 *   GET/HEAD/OPTIONS), so a failed write is never sent twice;
 * - an HTTP error carries PostgREST's JSON `{ code, message, details, hint }`,
 *   or `{ message: <body> }` when a proxy answered with something else.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import ws from "ws";
import { DatabaseError, DatabaseUnavailableError, isUnavailableCode } from "./errors.server";
import { assertStorableArguments, type Database, type FunctionArgs } from "./types";

export interface SupabaseOptions {
  /** Bound on every call; a dead network answers "unavailable" within this. */
  timeoutMs?: number;
}

/** What a failed `.rpc()` resolves to. */
interface FailedRpc {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  error: { code?: string; message?: string; details?: string | null; hint?: string | null };
}

/** PostgREST's "cannot reach Postgres" codes (docs.postgrest.org, references/errors, group 0). */
const POSTGREST_CONNECTION_ERROR = /^PGRST00[0-3]$/;
/**
 * 503/504: PostgREST could not get a database connection (PGRST000-003,
 * SQLSTATE 08* and 53*); 502 and Cloudflare's 520-524: the gateway in front
 * of PostgREST could not reach it.
 */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504, 520, 521, 522, 523, 524]);
/** A proxy's HTML page is no message for a log line. */
const MAX_MESSAGE_LENGTH = 300;

/**
 * Map a failed call to the errors every backend raises: "unavailable" (503 to
 * users) when the database cannot be reached from here, a typed
 * DatabaseError carrying PostgREST's code, details and hint otherwise.
 */
function toSupabaseError(failed: FailedRpc, timeoutMs: number): DatabaseError | DatabaseUnavailableError {
  const { status, error } = failed;
  const code = error.code || undefined;
  const cause = { status, ...error };
  if (status === 0) {
    const timedOut = /^(AbortError|TimeoutError)\b/.test(error.message ?? "");
    return new DatabaseUnavailableError(
      timedOut ? `The database did not answer within ${timeoutMs} ms` : "The database (Supabase) cannot be reached",
      { cause },
    );
  }
  if (UNAVAILABLE_STATUSES.has(status) || (code && (POSTGREST_CONNECTION_ERROR.test(code) || isUnavailableCode(code)))) {
    return new DatabaseUnavailableError("Supabase cannot reach its database", { cause });
  }
  // Supabase's gateway refuses a missing or wrong key with a bare 401 (no
  // code); PostgREST refuses an invalid JWT with PGRST3xx. Either way the app
  // cannot use its database until an operator fixes the setting. (42501 is
  // different: the key worked, a grant is missing; that stays a DatabaseError.)
  if ((status === 401 || status === 403) && (!code || code.startsWith("PGRST3"))) {
    return new DatabaseUnavailableError("Supabase refused the API key (check SUPABASE_SERVICE_ROLE_KEY)", { cause });
  }
  const message = (error.message || `Supabase answered HTTP ${status}`).slice(0, MAX_MESSAGE_LENGTH);
  return new DatabaseError(message, code, error.details ?? null, error.hint ?? null, { cause });
}

export function openSupabase(url: string, serviceRoleKey: string, options: SupabaseOptions = {}): Database {
  const timeoutMs = options.timeoutMs ?? 5000;
  const client: SupabaseClient = createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // postgrest-js aborts a request that takes longer (reported as status 0).
    db: { timeout: timeoutMs },
    // Node 20 has no global WebSocket; realtime is unused but constructed.
    realtime: { transport: ws as never },
  });

  async function call(fn: string, args: FunctionArgs): Promise<unknown> {
    assertStorableArguments(fn, args);
    const body = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
    const { data, error, status } = await client.rpc(fn, body);
    if (error) throw toSupabaseError({ status, error }, timeoutMs);
    return data;
  }

  return {
    kind: "supabase",
    async rows(fn, args) {
      const data = await call(fn, args);
      if (data === null) return [];
      return (Array.isArray(data) ? data : [data]) as Record<string, unknown>[];
    },
    scalar: (fn, args) => call(fn, args),
    async ping() {
      // The cheapest round trip through PostgREST to Postgres and back.
      await call("ping", {});
    },
    async close() {
      await client.removeAllChannels();
    },
  };
}
