/**
 * Supabase through supabase-js: each session operation is one `.rpc()` call,
 * one HTTP round trip to PostgREST, which runs the same SQL function the
 * other backends call. Server-side client: no auth session, no refresh.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import ws from "ws";
import { DatabaseError, DatabaseUnavailableError } from "./errors.server";
import type { Database, FunctionArgs } from "./types";

export interface SupabaseOptions {
  /** Bound on every call; a dead network answers "unavailable" within this. */
  timeoutMs?: number;
  /** Tests: the fetch to use (defaults to the global one). */
  fetch?: typeof fetch;
}

interface PostgrestErrorLike {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

/**
 * PostgREST answers connection trouble with 5xx (PGRST000-PGRST003: it cannot
 * reach Postgres) and supabase-js reports a failed fetch as status 0; both are
 * "the database is unavailable", like a refused TCP connection on the others.
 */
function toError(status: number, error: PostgrestErrorLike): Error {
  if (status === 0 || status >= 500 && (error.code ?? "").startsWith("PGRST0") || status === 503 || status === 504) {
    return new DatabaseUnavailableError(undefined, { cause: error });
  }
  return new DatabaseError(error.message ?? "database error", error.code, error.details, error.hint);
}

export function openSupabase(url: string, serviceRoleKey: string, options: SupabaseOptions = {}): Database {
  const timeoutMs = options.timeoutMs ?? 5000;
  const baseFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const timedFetch: typeof fetch = (input, init) =>
    baseFetch(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
    });

  const client: SupabaseClient = createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // Node 20 has no global WebSocket; realtime is unused but constructed.
    realtime: { transport: ws as never },
    global: { fetch: timedFetch },
  });

  async function call(fn: string, args: FunctionArgs): Promise<unknown> {
    const body = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
    const { data, error, status } = await client.rpc(fn, body);
    if (error) throw toError(status, error);
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
