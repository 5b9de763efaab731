/**
 * What an operator (or an attacker) sees of the settings' safety over HTTP:
 * production refuses to start with weak secrets or an http APP_URL; /healthz
 * answers 503 until the database has every migration the build ships; and
 * X-Forwarded-For is believed only as far as TRUST_PROXY says (a spoofed
 * address neither escapes a per-IP limit nor is recorded).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrations, migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import type { SqlDatabase } from "~/lib/db/types";
import { startApp, startAppExpectingFailure, TEST_APP_ENV, type RunningApp } from "../support/app-server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";

const PRODUCTION = { ...TEST_APP_ENV, NODE_ENV: "production", APP_URL: "https://app.example.com" };

describe("production refuses unsafe settings at start", () => {
  it.each([
    ["SESSION_SECRET", { SESSION_SECRET: "x".repeat(48) }, /SESSION_SECRET: too predictable/],
    ["TOKEN_ENCRYPTION_KEY", { TOKEN_ENCRYPTION_KEY: "0".repeat(64) }, /TOKEN_ENCRYPTION_KEY: not a random key/],
    ["APP_URL", { APP_URL: "http://app.example.com" }, /APP_URL: must be https in production/],
    ["TRUST_PROXY", { TRUST_PROXY: "true" }, /TRUST_PROXY: .*number of proxies/],
  ])("%s: exit 1 with a message naming it, no stack", async (_name, change, message) => {
    const { code, output } = await startAppExpectingFailure({ ...PRODUCTION, ...change });
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/at .*\.js:\d+/);
  });
});

describe.runIf(postgresAvailable())("GET /healthz checks the schema version (PostgreSQL)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: SqlDatabase;
  let app: RunningApp;
  const partial = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    db = await openPostgres(scratch.url);
    app = await startApp({ DATABASE_URL: scratch.url });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.close();
    await scratch?.drop();
    fs.rmSync(partial, { recursive: true, force: true });
  });

  async function health() {
    const res = await fetch(`${app.url}/healthz`);
    return { status: res.status, body: (await res.json()) as { status: string; reason?: string; pendingMigrations?: string[] } };
  }

  it("an empty database: 503 saying the schema is behind and how to fix it", async () => {
    const { status, body } = await health();
    expect(status).toBe(503);
    expect(body.status).toBe("unavailable");
    expect(body.reason).toMatch(/schema is behind this build.*npm run db:migrate/);
    expect(body.pendingMigrations).toEqual(listMigrations().map((m) => m.version));
  });

  it("every migration but the newest: 503 naming it among the missing", async () => {
    const all = listMigrations();
    for (const m of all.slice(0, -1)) fs.copyFileSync(m.file, path.join(partial, path.basename(m.file)));
    await migrate(db, partial);
    const { status, body } = await health();
    expect(status).toBe(503);
    // Exactly the newest, or every one when the newest is the function that tells which have run.
    expect(body.pendingMigrations).toContain(all.at(-1)?.version);
    expect(body.reason).toContain(all.at(-1)?.version);
  });

  it("fully migrated: 200 ok", async () => {
    await migrate(db);
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.status).toBe("ok");
  });
});

describe.runIf(postgresAvailable())("TRUST_PROXY: which address a request comes from", () => {
  const CRON_SECRET = "cron-secret-for-trust-proxy-tests";
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: SqlDatabase;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    db = await openPostgres(scratch.url);
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  /** Three cleanup calls (limit 2 per IP) with the given X-Forwarded-For values; the statuses and the addresses counted. */
  async function cleanupCalls(trustProxy: string | undefined, forwardedFor: string[]) {
    await db.query("delete from rate_limit_counters");
    const app = await startApp({ DATABASE_URL: scratch.url, CRON_SECRET, RATE_LIMIT_CLEANUP_IP: "2/24h", TRUST_PROXY: trustProxy });
    try {
      const statuses: number[] = [];
      for (const xff of forwardedFor) {
        const res = await fetch(`${app.url}/api/sessions/cleanup`, {
          method: "POST",
          headers: { Authorization: `Bearer ${CRON_SECRET}`, "X-Forwarded-For": xff },
        });
        statuses.push(res.status);
      }
      const keys = (await db.query<{ key: string }>("select distinct key from rate_limit_counters where bucket = 'cleanup:ip' order by key")).map((r) => r.key);
      return { statuses, keys };
    } finally {
      await app.stop();
    }
  }

  it("unset (the default): X-Forwarded-For is ignored, spoofed addresses do not escape the per-IP limit", async () => {
    const { statuses, keys } = await cleanupCalls(undefined, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]);
    expect(statuses).toEqual([200, 200, 429]);
    expect(keys).toEqual([expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/)]);
  });

  it("a hop count: the address the last proxy saw, not the client-written leftmost ones", async () => {
    // The client writes a different leftmost address each time; the one proxy appends the real one.
    const spoofed = ["6.6.6.1, 198.51.100.7", "6.6.6.2, 198.51.100.7", "6.6.6.3, 198.51.100.7"];
    const { statuses, keys } = await cleanupCalls("1", spoofed);
    expect(statuses).toEqual([200, 200, 429]);
    expect(keys).toEqual(["198.51.100.7"]);
  });

  it("a hop count still tells real clients apart", async () => {
    const { statuses, keys } = await cleanupCalls("1", ["6.6.6.6, 198.51.100.1", "6.6.6.6, 198.51.100.2", "6.6.6.6, 198.51.100.3"]);
    expect(statuses).toEqual([200, 200, 200]);
    expect(keys).toEqual(["198.51.100.1", "198.51.100.2", "198.51.100.3"]);
  });

  it("a trusted proxy list: hops from listed addresses are skipped, the first untrusted one is the client", async () => {
    // The app is reached over loopback (the "proxy"); 10.1.2.3 is a listed internal hop.
    const { statuses, keys } = await cleanupCalls("loopback, 10.0.0.0/8", [
      "6.6.6.1, 198.51.100.9, 10.1.2.3",
      "6.6.6.2, 198.51.100.9, 10.1.2.3",
      "6.6.6.3, 198.51.100.9, 10.1.2.3",
    ]);
    expect(statuses).toEqual([200, 200, 429]);
    expect(keys).toEqual(["198.51.100.9"]);
  });
});
