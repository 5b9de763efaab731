/**
 * The operator CLI exactly as docs/DEPLOY.md documents it
 * (`npm run sessions -- …`, `npm run sessions:cleanup`), run as a child
 * process against a PostgreSQL scratch database.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { now } from "~/lib/clock.server";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store, type Client } from "~/lib/db/store.server";
import type { SqlDatabase } from "~/lib/db/types";
import { generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run <script> -- <args>` with the given database; npm's own banner lines are dropped from stdout. */
async function npmRun(script: string, args: string[], databaseUrl: string): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", DATABASE_URL: databaseUrl };
  try {
    const { stdout, stderr } = await run("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const withPostgres = postgresAvailable();

describe.runIf(withPostgres)("npm run sessions (operator CLI)", () => {
  let url: string;
  let db: SqlDatabase;
  let store: Store;
  let drop: () => Promise<void>;
  let tenant: Client;
  let shop: Client;
  const cli = (...args: string[]) => npmRun("sessions", args, url);

  async function session(client: Client, userId: string, createdAt = now()) {
    return store.createAppSession(
      { tokenHash: hashSessionToken(generateSessionToken()), clientId: client.id, userId, userName: `User ${userId}`, userAgent: "CLI Test/1.0", ipAddress: "192.0.2.5", ...sessionLifetimes(false) },
      createdAt,
    );
  }

  async function revokedIds(): Promise<string[]> {
    const rows = await db.query<{ id: string }>("select id from app_sessions where revoked_at is not null order by id");
    return rows.map((r) => r.id);
  }

  beforeAll(async () => {
    const scratch = await createScratchDatabase();
    url = scratch.url;
    drop = scratch.drop;
    db = await openPostgres(url);
    await migrate(db);
    store = new Store(db);
    tenant = await store.upsertClient({ platform: "commerce7", externalId: "cli-winery", organizationName: "CLI Winery" }, now());
    shop = await store.upsertClient({ platform: "shopify", externalId: "cli-shop.myshopify.com" }, now());
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it("stats: active and ended sessions and installed clients per platform, for people and as JSON", async () => {
    await session(tenant, "u1");
    await session(tenant, "u2");
    await session(shop, "s1");
    await session(shop, "s2", new Date(Date.now() - 9 * 3600_000)); // ended, awaiting cleanup
    const human = await cli("stats");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/commerce7\s+1\s+2\s+0/);
    expect(human.stdout).toMatch(/shopify\s+1\s+1\s+1/);
    const data = JSON.parse((await cli("--json", "stats")).stdout);
    expect(data.totals).toEqual({ clients: 2, active: 3, ended: 1 });
  });

  it("list --client <tenant>: the tenant's live sessions with user, IP and times", async () => {
    const result = await cli("list", "--client", "cli-winery");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("commerce7 tenant cli-winery (CLI Winery, installed): 2 active sessions");
    expect(result.stdout).toMatch(/u1\s+User u1\s+192\.0\.2\.5/);
    expect(result.stdout).not.toContain("s1");
  });

  it("list for an unknown client exits 3 with a message", async () => {
    const result = await cli("list", "--client", "no-such-tenant");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('No client "no-such-tenant"');
  });

  it("revoke --session <id> revokes that one session; an unknown id exits 3, a malformed one 2", async () => {
    const target = await session(shop, "s3");
    const result = await cli("revoke", "--session", target.id);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(`Revoked session ${target.id}.`) });
    expect(await revokedIds()).toEqual([target.id]);
    const [row] = await db.query<{ detail: { reason: string } }>("select detail from session_events where session_id = $1 and event = 'revoked'", [target.id]);
    expect(row.detail.reason).toBe("operator");

    expect((await cli("revoke", "--session", "00000000-0000-4000-8000-000000000000")).code).toBe(3);
    const malformed = await cli("revoke", "--session", "not-a-uuid");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("expected a session id");
  });

  it("revoke --user needs --client (user ids are only unique within a client): exit 2 and nothing revoked", async () => {
    const before = await revokedIds();
    const result = await cli("revoke", "--user", "u1");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("revoke --user needs --client");
    expect(await revokedIds()).toEqual(before);
  });

  it("revoke --client <tenant> --user <id> revokes only that user's sessions there", async () => {
    const result = await cli("revoke", "--client", "cli-winery", "--user", "u1");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Revoked 1 session of user u1 at commerce7 tenant cli-winery.");
    const live = JSON.parse((await cli("--json", "list", "--client", "cli-winery")).stdout);
    expect(live.sessions.map((s: { userId: string }) => s.userId)).toEqual(["u2"]);
  });

  it("revoke --client <shop> revokes every live session of that client", async () => {
    const result = await cli("revoke", "--client", "cli-shop.myshopify.com", "--reason", "offboarding");
    expect(result.code).toBe(0);
    // s1, and s2 which had already ended: revoke_app_sessions marks every row not yet revoked.
    expect(result.stdout).toContain("Revoked 2 sessions of shopify shop cli-shop.myshopify.com.");
    const [event] = await db.query<{ detail: { reason: string } }>(
      "select e.detail from session_events e join app_sessions s on s.id = e.session_id where s.client_id = $1 and e.event = 'revoked' order by e.id desc limit 1",
      [shop.id],
    );
    expect(event.detail.reason).toBe("offboarding");
    expect((await cli("revoke", "--client", "cli-shop.myshopify.com")).stdout).toContain("No active sessions");
  });

  it("usage errors exit 2: no target, an unknown command, a bad platform", async () => {
    const results = await Promise.all([cli("revoke"), cli("frobnicate"), cli("list", "--client", "x", "--platform", "magento")]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(results[0].stderr).toContain("revoke needs --client");
    expect(results[2].stderr).toContain("expected shopify or commerce7");
  });

  it("npm run sessions:cleanup prints the rows removed per kind", async () => {
    const result = await npmRun("sessions:cleanup", [], url);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/expired app sessions\s+1\b/); // s2, past its 8 hours
    expect(result.stdout).toMatch(/audit events past retention\s+0\b/);
    expect(result.stdout).toMatch(/expired OAuth nonces\s+0\b/);
    expect(result.stdout).toMatch(/closed rate-limit windows\s+0\b/);
    // stdout is the answer only; logs (warnings) would go to stderr.
    expect(result.stdout).not.toContain('"level"');
  });

  it("cleanup with the database down exits non-zero and says so", async () => {
    const result = await npmRun("sessions:cleanup", [], "postgres://postgres@127.0.0.1:1/none");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot reach the database (postgres: check DATABASE_URL). Nothing was changed.");
  });
});
