/**
 * docs/SESSION_MIGRATION_GUIDE.md, run as written on a PostgreSQL scratch
 * database that starts with the customer's original schema (their
 * 002_app_sessions.sql: the cookie value as primary key, open policies, an
 * unbatched cleanup function): psql before-migrate.sql, npm run db:migrate,
 * psql after-migrate.sql, then the app's own functions and CLI on the result.
 */
import { createHash } from "node:crypto";
import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setStore } from "~/lib/db/index.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import type { SqlDatabase } from "~/lib/db/types";
import { createAppSession, requireAppSession } from "~/lib/sessions/core.server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { requireOrSkip } from "../support/require";
import { cookiePair, dataRequest, documentRequest, expectJson401 } from "../support/sessions";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const exec = promisify(execFile);

/** The customer's schema before the move, as DESIGN.md describes it (clients as their app kept them). */
const LEGACY_SCHEMA = `
  create table clients (
    id uuid primary key default gen_random_uuid(),
    crm_type text not null check (crm_type in ('shopify', 'commerce7')),
    tenant_id text not null,
    organization_name text,
    created_at timestamptz default now(),
    updated_at timestamptz default now()
  );
  create table platform_sessions (
    id text primary key,
    client_id uuid references clients (id) on delete cascade,
    access_token text,
    scope text
  );
  create table app_sessions (
    id text primary key,
    client_id uuid not null references clients (id) on delete cascade,
    user_name text,
    user_email text,
    theme text default 'light' check (theme in ('light', 'dark')),
    ip_address text,
    user_agent text,
    last_activity_at timestamptz default now(),
    expires_at timestamptz not null,
    created_at timestamptz default now(),
    updated_at timestamptz default now()
  );
  create index idx_app_sessions_client_id on app_sessions (client_id);
  create index idx_app_sessions_expires_at on app_sessions (expires_at);
  alter table app_sessions enable row level security;
  create policy "Allow all operations on app_sessions" on app_sessions for all using (true) with check (true);
  create or replace function cleanup_expired_app_sessions() returns void language sql as
    $$ delete from app_sessions where expires_at < now() $$;
`;

const TENANT_ID = "11111111-1111-4111-8111-111111111111";
const SHOP_ID = "22222222-2222-4222-8222-222222222222";
const OLD_COOKIES = ["c7-cookie-value-0123456789abcdef", "shop-cookie-value-0123456789abcd", "expired-cookie-value-0123456789ab"];

// The guide's commands use psql (the PostgreSQL client, beside the server in CI).
const withPostgres =
  postgresAvailable() &&
  requireOrSkip("Legacy import (psql)", spawnSync("psql", ["--version"]).status === 0, "install the PostgreSQL client (psql)");

describe.runIf(withPostgres)("moving an existing installation (docs/SESSION_MIGRATION_GUIDE.md)", () => {
  let url: string;
  let drop: () => Promise<void>;
  let db: SqlDatabase;
  const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", DATABASE_URL: url }) as NodeJS.ProcessEnv;
  const psql = (file: string) =>
    exec("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-f", `scripts/legacy-import/${file}`], { cwd: ROOT, env: env() });
  const npm = (...args: string[]) => exec("npm", ["run", "--silent", ...args], { cwd: ROOT, env: env(), timeout: 60_000 });

  beforeAll(async () => {
    const scratch = await createScratchDatabase();
    url = scratch.url;
    drop = scratch.drop;
    db = await openPostgres(url);
    await db.exec(LEGACY_SCHEMA);
    await db.query(
      `insert into clients (id, crm_type, tenant_id, organization_name) values
         ($1, 'commerce7', 'legacy-winery', 'Legacy Winery'), ($2, 'shopify', 'legacy.myshopify.com', null)`,
      [TENANT_ID, SHOP_ID],
    );
    await db.query(`insert into platform_sessions (id, client_id, access_token) values ('offline_legacy.myshopify.com', $1, 'shpat_plaintext_token')`, [SHOP_ID]);
    await db.query(
      `insert into app_sessions (id, client_id, user_name, ip_address, user_agent, last_activity_at, expires_at) values
         ($1, $4, 'Vera', '203.0.113.1', 'Old Browser', now() - interval '5 minutes', now() + interval '7 hours'),
         ($2, $5, 'Sam', '203.0.113.2', 'Old Browser', now() - interval '1 minute', now() + interval '2 hours'),
         ($3, $4, 'Vera', '203.0.113.1', 'Old Browser', now() - interval '9 hours', now() - interval '1 hour')`,
      [...OLD_COOKIES, TENANT_ID, SHOP_ID],
    );
  });
  afterAll(async () => {
    setStore(undefined);
    await db?.close();
    await drop?.();
  });

  it("before-migrate.sql, npm run db:migrate, after-migrate.sql run in order without an error", async () => {
    await psql("before-migrate.sql");
    const migrated = await npm("db:migrate");
    expect(migrated.stdout).toContain("migration(s) applied");
    await psql("after-migrate.sql");
  });

  it("the sessions are the same rows: new non-secret ids, only the SHA-256 of the old cookie, retired as migrated", async () => {
    const rows = await db.query<{ id: string; token_hash: Buffer; user_name: string; revoked_reason: string; idle_expires_at: Date; expires_at: Date }>(
      "select id, token_hash, user_name, revoked_reason, idle_expires_at, expires_at from app_sessions order by user_name, expires_at",
    );
    expect(rows).toHaveLength(3);
    const hashes = rows.map((r) => Buffer.from(r.token_hash).toString("hex")).sort();
    expect(hashes).toEqual(OLD_COOKIES.map((c) => createHash("sha256").update(c).digest("hex")).sort());
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(OLD_COOKIES).not.toContain(row.id);
      expect(row.revoked_reason).toBe("migrated");
      expect(row.idle_expires_at.getTime()).toBeLessThanOrEqual(row.expires_at.getTime());
    }
    const events = await db.query<{ n: number }>("select count(*)::int as n from session_events where event = 'revoked' and detail->>'reason' = 'migrated'");
    expect(events[0].n).toBe(3);
  });

  it("the table is closed: the open policy and the public cleanup function are gone", async () => {
    expect(await db.query("select policyname from pg_policies where tablename = 'app_sessions'")).toEqual([]);
    expect(await db.query("select 1 from pg_proc where proname = 'cleanup_expired_app_sessions'")).toEqual([]);
  });

  it("clients keep their ids in the new table; plaintext platform tokens stay aside, never copied", async () => {
    const clients = await db.query<{ id: string; platform: string; external_id: string; install_state: string }>(
      "select id, platform, external_id, install_state from clients order by platform",
    );
    expect(clients).toEqual([
      { id: TENANT_ID, platform: "commerce7", external_id: "legacy-winery", install_state: "installed" },
      { id: SHOP_ID, platform: "shopify", external_id: "legacy.myshopify.com", install_state: "installed" },
    ]);
    expect(await db.query("select * from platform_sessions")).toEqual([]);
    expect(await db.query("select id from platform_sessions_legacy")).toHaveLength(1);
  });

  it("an old cookie value is refused (unsigned, and not a token); a new sign-in for an imported client works", async () => {
    setStore(new Store(db));
    await expectJson401(requireAppSession(dataRequest("/app", { cookie: `__Host-app_session=${OLD_COOKIES[0]}` })), "unauthenticated");
    await expectJson401(requireAppSession(dataRequest("/app", { bearer: OLD_COOKIES[1] })), "unauthenticated");
    const fresh = await createAppSession({ request: documentRequest("/app"), clientId: TENANT_ID, user: { id: "vera", name: "Vera" } });
    const session = await requireAppSession(documentRequest("/app", { cookie: cookiePair(fresh.setCookie) }));
    expect(session).toMatchObject({ clientId: TENANT_ID, platform: "commerce7", clientExternalId: "legacy-winery" });
  });

  it("the operator CLI sees the result: one live session, the retired ones awaiting cleanup, which removes the expired one", async () => {
    const list = await npm("sessions", "--", "list", "--client", "legacy-winery");
    expect(list.stdout).toContain("commerce7 tenant legacy-winery (Legacy Winery, installed): 1 active session");
    const cleanup = await npm("sessions:cleanup");
    expect(cleanup.stdout).toMatch(/expired app sessions\s+1\b/);
  });

  it("running before-migrate.sql again stops with a clear message and changes nothing", async () => {
    const error = await psql("before-migrate.sql").then(
      () => null,
      (e: { stderr: string }) => e,
    );
    expect(error?.stderr).toContain("this script has run already");
    expect(await db.query("select 1 from app_sessions")).toHaveLength(3);
  });
});
