/**
 * Supabase's API roles, on real PostgreSQL set up as a Supabase project is
 * (roles, default privileges in `public`): `anon` and `authenticated` (what
 * a browser holding the project's public key acts as) can neither read a
 * session row nor call a session function; `service_role` (the app) can.
 * Everything is enumerated from the catalog, so a table, view or function
 * added later without restricting itself fails here.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { now } from "~/lib/clock.server";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import { generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions.server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { makeClient } from "../support/sessions";

const withPostgres = postgresAvailable();
const API_ROLES = ["anon", "authenticated"] as const;

/** Run as `role` (null: the owner we connect as) in a transaction that is always rolled back. */
async function asRole<T>(sql: postgres.Sql, role: string | null, work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  const rollback = new Error("rollback");
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      if (role) await tx.unsafe(`set local role ${role}`);
      result = await work(tx);
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  return result as T;
}

async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** Relations in `public` on which `role` holds any privilege, as "name: privileges". */
function relationGrants(q: postgres.Sql | postgres.TransactionSql, role: string) {
  return q<{ grant: string }[]>`
    select c.relname || ': ' || string_agg(p.privilege, ', ') as grant
      from pg_class c
      cross join unnest(case when c.relkind = 'S' then array['USAGE', 'SELECT', 'UPDATE']
                             else array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] end) as p(privilege)
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
       and case when c.relkind = 'S' then has_sequence_privilege(${role}, c.oid, p.privilege)
                else has_table_privilege(${role}, c.oid, p.privilege) end
     group by c.relname order by 1`;
}

/** Functions and procedures in `public` (not an extension's) that `role` may execute. */
function executableRoutines(q: postgres.Sql | postgres.TransactionSql, role: string, can = true) {
  return q<{ routine: string }[]>`
    select p.oid::regprocedure::text as routine
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       and has_function_privilege(${role}, p.oid, 'EXECUTE') = ${can}
     order by 1`;
}

describe.runIf(withPostgres)("Supabase API roles on real PostgreSQL", () => {
  let sql: postgres.Sql;
  let store: Store;
  let close: () => Promise<void>;
  let tokenHash: string;
  let sessionId: string;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(undefined, { supabase: true });
    const db = await openPostgres(scratch.url);
    await migrate(db);
    store = new Store(db);
    sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
    close = async () => {
      await sql.end();
      await db.close();
      await scratch.drop();
    };
    const client = await makeClient(store);
    tokenHash = hashSessionToken(generateSessionToken());
    const session = await store.createAppSession(
      { tokenHash, clientId: client.id, userName: "Ada", ...sessionLifetimes(false) },
      now(),
    );
    sessionId = session.id;
  });
  afterAll(async () => {
    await close?.();
  });

  for (const role of API_ROLES) {
    describe(role, () => {
      it("cannot read a session row: every table and view refuses it", async () => {
        const relations = (
          await sql<{ name: string }[]>`
            select c.oid::regclass::text as name from pg_class c
             where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') order by 1`
        ).map((r) => r.name);
        expect(relations).toEqual(expect.arrayContaining(["app_sessions", "app_session_view", "platform_sessions"]));
        for (const relation of relations) {
          const code = await sqlState(asRole(sql, role, (tx) => tx.unsafe(`select * from ${relation} limit 1`)));
          expect({ relation, code }).toEqual({ relation, code: "42501" });
        }
        expect(await sqlState(asRole(sql, role, (tx) => tx.unsafe("truncate app_sessions")))).toBe("42501");
      });

      it("holds no privilege on any table, view or sequence in public", async () => {
        expect(await relationGrants(sql, role)).toEqual([]);
      });

      it("cannot call any function in public, the session check included", async () => {
        expect(await executableRoutines(sql, role)).toEqual([]);
        const code = await sqlState(
          asRole(sql, role, (tx) => tx`select * from validate_app_session(p_token_hash => ${tokenHash})`),
        );
        expect(code).toBe("42501");
      });

      it("cannot reach app_private (the cleanup procedure and the helpers)", async () => {
        const [row] = await sql<{ usage: boolean }[]>`select has_schema_privilege(${role}, 'app_private', 'USAGE') as usage`;
        expect(row.usage).toBe(false);
        expect(await sqlState(asRole(sql, role, (tx) => tx`call app_private.run_session_cleanup()`))).toBe("42501");
      });
    });
  }

  it("row-level security is on for every table, with no policy that lets anyone in", async () => {
    const withoutRls = await sql<{ name: string }[]>`
      select relname as name from pg_class
       where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity`;
    expect(withoutRls).toEqual([]);
    const policies = await sql`select tablename, policyname, roles from pg_policies where schemaname = 'public'`;
    expect(policies).toEqual([]);
  });

  it("service_role (the app's key) can call every session function and finds the session", async () => {
    expect(await executableRoutines(sql, "service_role", false)).toEqual([]);
    const rows = await asRole(sql, "service_role", (tx) =>
      tx<{ status: string; id: string }[]>`select status, session->>'id' as id from validate_app_session(p_token_hash => ${tokenHash})`,
    );
    expect(rows).toEqual([{ status: "valid", id: sessionId }]);
  });

  it("the checks above catch a table or function added without restricting it", async () => {
    // Proof that the enumeration can fail: add both the way a careless
    // migration would (Supabase's default privileges then grant them to the
    // API roles), look, and roll back.
    const found = await asRole(sql, null, async (tx) => {
      await tx.unsafe("create table public.careless (id int); create function public.careless_fn() returns int language sql as 'select 1'");
      return { relations: await relationGrants(tx, "anon"), routines: await executableRoutines(tx, "anon") };
    });
    expect(found.relations.map((r) => r.grant)).toEqual([expect.stringMatching(/^careless: SELECT/)]);
    expect(found.routines).toEqual([{ routine: "careless_fn()" }]);
  });
});
