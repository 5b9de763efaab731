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
 * Not served: GET calls, filters, embedding, Prefer headers, tables.
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
}

export interface PostgrestStandin {
  /** The project URL to give supabase-js (it appends /rest/v1). */
  url: string;
  /** RPC requests received so far. */
  requests(): number;
  close(): Promise<void>;
}

interface Routine {
  name: string;
  args: { name: string; type: string }[];
  required: string[];
  shape: "set" | "value" | "void";
}

interface PgrstError {
  status: number;
  code: string | null;
  message: string;
  details?: string | null;
  hint?: string | null;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** PostgREST's SQLSTATE -> HTTP status table (references/errors.rst). */
function statusForSqlState(code: string, role: string, anonRole: string): number {
  const rules: Array<[RegExp, number]> = [
    [/^08/, 503], [/^09/, 500], [/^0L/, 403], [/^0P/, 403], [/^2350[35]$/, 409], [/^25006$/, 405],
    [/^25/, 500], [/^28/, 403], [/^(2D|38|39|3B|40)/, 500], [/^53400$/, 500], [/^53/, 503],
    [/^(54|55|57|58|F0|HV)/, 500], [/^P0001$/, 400], [/^P0/, 500], [/^XX/, 500],
    [/^(42883|42P01)$/, 404], [/^42P17$/, 500],
  ];
  if (code === "42501") return role === anonRole ? 401 : 403;
  return rules.find(([pattern]) => pattern.test(code))?.[1] ?? 400;
}

export async function startPostgrestStandin(options: PostgrestStandinOptions): Promise<PostgrestStandin> {
  const anonRole = options.anonRole ?? "anon";
  const sql = postgres(options.databaseUrl, { max: 10, onnotice: () => {}, connect_timeout: 2 });
  let requests = 0;

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
    if (matches.length === 0) {
      return {
        status: 404,
        code: "PGRST202",
        message: `Could not find the function ${signature} in the schema cache`,
        details: `Searched for the function public.${name} with parameters ${[...keys].sort().join(", ")}, but no matches were found in the schema cache.`,
        hint: null,
      };
    }
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
      return tx.unsafe<{ body: string }[]>(query, keys.length ? [JSON.stringify(body)] : []);
    });
    return rows[0].body;
  }

  function send(res: http.ServerResponse, status: number, body?: unknown) {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" }).end(text);
  }

  const sendError = (res: http.ServerResponse, e: PgrstError) =>
    send(res, e.status, { code: e.code, details: e.details ?? null, hint: e.hint ?? null, message: e.message });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const match = /^\/rest\/v1\/rpc\/([^/?]+)$/.exec(new URL(req.url ?? "/", "http://standin").pathname);
    if (!match) return send(res, 404, { message: "stand-in: only POST /rest/v1/rpc/<fn> is served" });
    requests += 1;

    // Supabase's gateway: a known apikey first.
    const apikey = req.headers.apikey;
    if (typeof apikey !== "string") {
      return send(res, 401, { message: "No API key found in request", hint: "No apikey request header or url param was found." });
    }
    if (!(apikey in options.keys)) {
      return send(res, 401, { message: "Invalid API key", hint: "Double check your Supabase `anon` or `service_role` API key." });
    }
    // PostgREST: the bearer token chooses the role; no token means the anon role.
    const authorization = req.headers.authorization;
    let role = anonRole;
    if (authorization !== undefined) {
      const token = /^Bearer (.+)$/i.exec(authorization)?.[1];
      if (!token || !(token in options.keys)) {
        return sendError(res, { status: 401, code: "PGRST301", message: "JWT could not be decoded" });
      }
      role = options.keys[token];
    }
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
      if (isUnavailableCode(e.code) || isUnavailableCode(e.errno)) {
        return sendError(res, {
          status: 503,
          code: "PGRST000",
          message: "Could not connect with the database due to an incorrect db-uri or due to the PostgreSQL service not running.",
          details: e.message ?? null,
        });
      }
      if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
        return sendError(res, {
          status: statusForSqlState(e.code, role, anonRole),
          code: e.code,
          message: e.message ?? "",
          details: e.detail ?? null,
          hint: e.hint ?? null,
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
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sql.end({ timeout: 5 });
    },
  };
}
