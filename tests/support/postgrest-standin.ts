/**
 * TEST-ONLY STAND-IN for Supabase's Data API (PostgREST). It is NOT PostgREST.
 *
 * No Supabase or PostgREST server can be installed on our machines, so the
 * Supabase adapter is tested against this small node:http server. It serves
 * the one part of PostgREST that supabase-js `.rpc()` uses, and nothing else:
 *
 *   POST /rest/v1/rpc/<fn>   body: a JSON object of named arguments
 *
 * - headers checked like Supabase's gateway and PostgREST: `apikey` must be a
 *   known key; `Authorization: Bearer <key>` chooses the role (none: anon);
 * - the function is resolved by name and argument names (PGRST202 when none
 *   matches), its arguments typed by `json_to_record`, and it is called with
 *   named notation in one transaction after `SET LOCAL ROLE <role>`, on a real
 *   PostgreSQL database;
 * - answers: a set (SETOF / RETURNS TABLE) as a JSON array of rows, anything
 *   else as its JSON value, void as 204 No Content; errors as
 *   `{ code, message, details, hint }` with PostgREST's HTTP status mapping,
 *   and 503 PGRST000 when the database cannot be reached.
 *
 * Shapes checked against PostgREST's own documentation and source:
 * - https://docs.postgrest.org/en/latest/references/api/functions.html
 *   (POST with named arguments; scalar vs table-valued results)
 * - https://docs.postgrest.org/en/latest/references/errors.html
 *   (error body; SQLSTATE -> HTTP status table; PGRST000-003, PGRST102, PGRST202, PGRST203)
 * - PostgREST CHANGELOG.md: 10.0.0 #2001 (void -> 204 No Content without
 *   Content-Type), 8.0.0 #1584 (only SETOF returns an array)
 * - PostgREST src/PostgREST/Query/QueryBuilder.hs `callPlanToQuery` (arguments
 *   through json_to_recordset, `fn("p" := ...)`) and SqlFragment.hs `asJsonF`
 *   (`coalesce(json_agg(_postgrest_t), '[]')`, `json_agg(... pgrst_scalar)->0`)
 * - Supabase gateway refusals (401 "No API key found in request" / "Invalid
 *   API key"), as quoted in supabase-csharp#108 and supadart#185.
 * The error bodies the adapter maps are PostgREST v16.2's (the version the
 * Supabase CLI 2.117.0 runs: image postgrest/postgrest:v16.2), read in
 * PostgREST/postgrest@v16.2 src/library/PostgREST/Error.hs; each is cited
 * where it is built below (PGRST202, PGRST301, 42501, 57014, PGRST002).
 * Not modelled: PGRST202's fuzzy "Perhaps you meant ..." hint (null here),
 * PGRST203's candidate list, GET calls, filters, embedding, Prefer headers, tables.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { isUnavailableCode } from "~/lib/db/errors.server";

export interface PostgrestStandinOptions {
  databaseUrl: string;
  /** API key -> the database role its requests run as, e.g. { [serviceKey]: "service_role" }. */
  keys: Record<string, string>;
  /** PostgREST's db-anon-role: the role of a request without Authorization. */
  anonRole?: string;
  /**
   * Keys Supabase's gateway still accepts but PostgREST cannot verify as a
   * JWT (an opaque key the gateway did not translate, a JWT signed with a
   * rotated secret): their requests get PostgREST's PGRST301.
   */
  gatewayOnlyKeys?: string[];
}

export interface PostgrestStandin {
  /** The project URL to give supabase-js (it appends /rest/v1). */
  url: string;
  /** RPC requests received so far. */
  requests(): number;
  /**
   * Reload the schema cache as PostgREST does after `NOTIFY pgrst, 'reload
   * schema'`: until `finish()` it has none, and every request gets 503 PGRST002.
   */
  reloadSchemaCache(): { finish(): void };
  close(): Promise<void>;
}

interface Routine {
  name: string;
  args: { name: string; type: string }[];
  required: string[];
  shape: "set" | "value" | "void";
}

export interface PgrstError {
  status: number;
  code: string | null;
  message: string;
  details?: string | null;
  hint?: string | null;
  headers?: Record<string, string>;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * PostgREST's SQLSTATE -> HTTP status, ported from `mapSQLtoHTTP`
 * (PostgREST/postgrest@v16.2 src/library/PostgREST/Error.hs). `authed` is
 * PostgREST's `Just authRole /= configDbAnonRole` (App.hs): 42501 is 401 for
 * the anonymous role, 403 for any other. 57014 (statement timeout) falls in
 * the 57 class: 500; only 57P01 (admin shutdown) is 503.
 */
export function statusForSqlState(code: string, message: string, authed: boolean): number {
  const exact: Record<string, number> = {
    "23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503, P0001: 400, "42P01": 404, "42P17": 500,
  };
  if (code in exact) return exact[code];
  if (code === "21000") return message.endsWith("requires a WHERE clause") ? 400 : 500;
  if (code === "22023") return message.startsWith("role") && message.endsWith("does not exist") ? 401 : 400;
  if (code === "42883") return message.startsWith("function xmlagg(") ? 406 : 404;
  if (code === "42501") return authed ? 403 : 401;
  const byClass: Array<[string, number]> = [
    ["08", 503], ["09", 500], ["0L", 403], ["0P", 403], ["25", 500], ["28", 403], ["2D", 500], ["38", 500],
    ["39", 500], ["3B", 500], ["40", 500], ["53", 503], ["54", 500], ["55", 500], ["57", 500], ["58", 500],
    ["F0", 500], ["HV", 500], ["P0", 500], ["XX", 500],
  ];
  return byClass.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 400;
}

/**
 * PGRST202, 404: no function of that name takes these argument names. Body
 * as `NoRpc` builds it for a POST with a JSON body (Error.hs@v16.2,
 * `instance ErrorBody SchemaCacheError`): the keys sorted (`S.toList` of a
 * Set, Plan.hs `findProc`), "parameter" singular for one key, "without
 * parameters" for none, and the single-unnamed-json/jsonb alternative named.
 */
export function noRpcError(schema: string, name: string, keys: string[]): PgrstError {
  const sorted = [...keys].sort();
  const func = `${schema}.${name}`;
  const params = sorted.length === 0 ? " without parameters" : null;
  return {
    status: 404,
    code: "PGRST202",
    message: `Could not find the function ${func}${params ?? `(${sorted.join(", ")})`} in the schema cache`,
    details:
      `Searched for the function ${func}` +
      (params ?? ` with parameter${sorted.length > 1 ? "s" : ""} ${sorted.join(", ")} or with a single unnamed json/jsonb parameter`) +
      ", but no matches were found in the schema cache.",
    hint: null,
  };
}

/**
 * PGRST301, 401: the bearer token is not a JWT PostgREST can decode
 * (Auth/Jwt.hs@v16.2 `parseToken`; messages from Error.hs `JwtDecodeErr`),
 * with `WWW-Authenticate: Bearer error="invalid_token", error_description=...`.
 * An opaque key (no dots) is "Expected 3 parts in JWT; got 1"; a three-part
 * token that fails verification is answered with BadCrypto's message.
 */
export function jwtDecodeError(token: string): PgrstError {
  const parts = token.split(".").length;
  const message =
    token === ""
      ? "Empty JWT is sent in Authorization header"
      : parts !== 3
        ? `Expected 3 parts in JWT; got ${parts}`
        : "JWT cryptographic operation failed";
  return {
    status: 401,
    code: "PGRST301",
    message,
    details: null,
    hint: null,
    headers: { "WWW-Authenticate": `Bearer error="invalid_token", error_description=${JSON.stringify(message)}` },
  };
}

/**
 * PGRST002, 503: PostgREST has no schema cache (being reloaded, or the
 * database did not answer the reload) and answers every request so
 * (App.hs@v16.2 `postgrestResponse`, Error.hs `NoSchemaCacheError`).
 */
export const NO_SCHEMA_CACHE: PgrstError = {
  status: 503,
  code: "PGRST002",
  message: "Could not query the database for the schema cache. Retrying.",
  details: null,
  hint: null,
};

export async function startPostgrestStandin(options: PostgrestStandinOptions): Promise<PostgrestStandin> {
  const anonRole = options.anonRole ?? "anon";
  const sql = postgres(options.databaseUrl, { max: 10, onnotice: () => {}, connect_timeout: 2 });
  const gatewayOnly = new Set(options.gatewayOnlyKeys ?? []);
  let requests = 0;
  let schemaCacheLoaded = true;

  async function findRoutine(name: string, keys: string[]): Promise<Routine | PgrstError> {
    const candidates = await sql<
      { names: string[] | null; modes: string[] | null; types: string[]; nargs: number; ndefaults: number; retset: boolean; void: boolean }[]
    >`
      select p.proargnames as names, p.proargmodes::text[] as modes, p.pronargs as nargs,
             p.pronargdefaults as ndefaults, p.proretset as retset,
             p.prorettype = 'pg_catalog.void'::regtype as void,
             array(select format_type(t, null) from unnest(p.proargtypes::oid[]) with ordinality u(t, i) order by i) as types
        from pg_proc p
       where p.pronamespace = 'public'::regnamespace and p.proname = ${name} and p.prokind = 'f'`;
    const matches = candidates
      .map((c): Routine => {
        const inNames = c.modes
          ? (c.names ?? []).filter((_, i) => ["i", "b", "v"].includes(c.modes![i]))
          : (c.names ?? []).slice(0, c.nargs);
        const args = inNames.map((argName, i) => ({ name: argName, type: c.types[i] }));
        return {
          name,
          args,
          required: inNames.slice(0, c.nargs - c.ndefaults),
          shape: c.void ? "void" : c.retset ? "set" : "value",
        };
      })
      .filter((r) => keys.every((k) => r.args.some((a) => a.name === k)) && r.required.every((k) => keys.includes(k)));
    if (matches.length === 1) return matches[0];
    const signature = `public.${name}(${[...keys].sort().join(", ")})`;
    if (matches.length === 0) return noRpcError("public", name, keys);
    return { status: 300, code: "PGRST203", message: `Could not choose the best candidate function between several for ${signature}` };
  }

  async function callRoutine(routine: Routine, body: Record<string, unknown>, role: string) {
    const keys = Object.keys(body);
    const byName = new Map(routine.args.map((a) => [a.name, a.type]));
    const argsCte = keys.length
      ? `with pgrst_args as (select * from json_to_record($1::text::json) as _(${keys.map((k) => `${quote(k)} ${byName.get(k)}`).join(", ")})) `
      : "";
    const call = `public.${quote(routine.name)}(${keys.map((k) => `${quote(k)} := (select ${quote(k)} from pgrst_args)`).join(", ")})`;
    const query =
      routine.shape === "set"
        ? `${argsCte}select coalesce(json_agg(_postgrest_t), '[]')::text as body from (select * from ${call}) _postgrest_t`
        : `${argsCte}select coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')::text as body from (select ${call} as pgrst_scalar) _postgrest_t`;
    const rows = await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${quote(role)}`);
      // PostgREST applies the impersonated role's settings (ALTER ROLE ... [IN
      // DATABASE ...] SET, e.g. statement_timeout) to the transaction:
      // docs/references/transactions.rst@v16.2, "Impersonated Role Settings".
      await tx`
        select set_config(split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1), true)
          from pg_db_role_setting s, unnest(s.setconfig) as setting
         where s.setrole = (select oid from pg_roles where rolname = ${role})
           and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
         order by s.setdatabase`;
      return tx.unsafe<{ body: string }[]>(query, keys.length ? [JSON.stringify(body)] : []);
    });
    return rows[0].body;
  }

  function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers }).end(text);
  }

  const sendError = (res: http.ServerResponse, e: PgrstError) =>
    send(res, e.status, { code: e.code, details: e.details ?? null, hint: e.hint ?? null, message: e.message }, e.headers);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const match = /^\/rest\/v1\/rpc\/([^/?]+)$/.exec(new URL(req.url ?? "/", "http://standin").pathname);
    if (!match) return send(res, 404, { message: "stand-in: only POST /rest/v1/rpc/<fn> is served" });
    requests += 1;

    // Supabase's gateway: a known apikey first.
    const apikey = req.headers.apikey;
    if (typeof apikey !== "string") {
      return send(res, 401, { message: "No API key found in request", hint: "No apikey request header or url param was found." });
    }
    if (!(apikey in options.keys) && !gatewayOnly.has(apikey)) {
      return send(res, 401, { message: "Invalid API key", hint: "Double check your Supabase `anon` or `service_role` API key." });
    }

    // PostgREST: the bearer token chooses the role; no token means the anon role.
    const authorization = req.headers.authorization;
    let role = anonRole;
    if (authorization !== undefined) {
      const token = /^Bearer (.*)$/i.exec(authorization)?.[1].trim() ?? "";
      if (!(token in options.keys)) return sendError(res, jwtDecodeError(token));
      role = options.keys[token];
    }
    // After authentication (App.hs: the JWT is checked before postgrestResponse runs).
    if (!schemaCacheLoaded) return sendError(res, NO_SCHEMA_CACHE);
    if (req.method !== "POST") {
      return sendError(res, { status: 405, code: "PGRST101", message: "stand-in: only POST is served for functions" });
    }

    let body: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch {
      return sendError(res, { status: 400, code: "PGRST102", message: "Empty or invalid json" });
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return sendError(res, { status: 400, code: "PGRST102", message: "Empty or invalid json" });
    }

    try {
      const routine = await findRoutine(decodeURIComponent(match[1]), Object.keys(body));
      if ("status" in routine) return sendError(res, routine);
      const json = await callRoutine(routine, body as Record<string, unknown>, role);
      return routine.shape === "void" ? send(res, 204) : send(res, 200, json);
    } catch (error) {
      const e = error as { code?: string; errno?: string; message?: string; detail?: string; hint?: string };
      // No connection at all (the driver's network codes, not a SQLSTATE the
      // server sent): PostgREST's ConnectionUsageError, PGRST000.
      const sqlState = typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code);
      if (!sqlState && (isUnavailableCode(e.code) || isUnavailableCode(e.errno))) {
        return sendError(res, {
          status: 503,
          code: "PGRST000",
          message: "Could not connect with the database due to an incorrect db-uri or due to the PostgreSQL service not running.",
          details: e.message ?? null,
        });
      }
      if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
        return sendError(res, {
          status: statusForSqlState(e.code, e.message ?? "", role !== anonRole),
          code: e.code,
          message: e.message ?? "",
          details: e.detail ?? null,
          hint: e.hint ?? null,
          // Error.hs@v16.2 `instance ErrorHeaders PgError`: any 401 says how to authenticate.
          headers: statusForSqlState(e.code, e.message ?? "", role !== anonRole) === 401 ? { "WWW-Authenticate": "Bearer" } : undefined,
        });
      }
      throw error;
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { code: "PGRSTX00", details: null, hint: null, message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    reloadSchemaCache() {
      schemaCacheLoaded = false;
      return {
        finish() {
          schemaCacheLoaded = true;
        },
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sql.end({ timeout: 5 });
    },
  };
}
