/**
 * Bulk sessions for the benchmark, made by the database itself (one
 * INSERT ... SELECT per chunk), with tokens the benchmark can recompute:
 * token i is base64url(sha256("bench-" + i)), 43 characters like a real one.
 */
import { createHash } from "node:crypto";
import type { SqlExecutor } from "~/lib/db/types";

export function benchToken(i: number): string {
  return createHash("sha256").update(`bench-${i}`).digest("base64url");
}

const TOKEN_SQL = `rtrim(translate(encode(sha256(convert_to('bench-' || g, 'UTF8')), 'base64'), '+/', '-_'), '=')`;

/**
 * Sessions [from, to) for a client. Live ones expire in 8 h; `expired` ones
 * ended an hour ago (cleanup fodder). Chunks keep each statement short.
 */
export async function populateSessions(
  sql: SqlExecutor,
  clientId: string,
  from: number,
  to: number,
  options: { expired?: boolean; chunk?: number; onProgress?: (done: number) => void; activeFor?: number } = {},
): Promise<void> {
  const chunk = options.chunk ?? 50_000;
  const ends = options.expired ? "now() - interval '1 hour'" : "now() + interval '8 hours'";
  // activeFor (minutes): activity recorded that far ahead, so no request in that window is due for a touch
  // (the memory run measures memory, not 100k committed UPDATEs).
  const active = `now() + interval '${Math.trunc(options.activeFor ?? 0)} minutes'`;
  const idleEnds = options.expired ? "now() - interval '1 hour'" : `${active} + interval '30 minutes'`;
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk);
    await sql.query(
      `insert into app_sessions (token_hash, client_id, user_id, user_name, idle_timeout_seconds,
                                 last_activity_at, idle_expires_at, expires_at, created_at, updated_at)
       select sha256(convert_to(${TOKEN_SQL}, 'UTF8')), $1::uuid, 'user-' || (g % 1000), 'Bench User', 1800,
              ${options.expired ? "now()" : active}, ${idleEnds}, ${ends}, now(), now()
         from generate_series($2::int, $3::int - 1) g`,
      [clientId, start, end],
    );
    options.onProgress?.(end);
  }
  await sql.query("analyze app_sessions");
}
