/**
 * An app process and the test on ONE PostgreSQL scratch database: the test
 * creates clients and sessions through the Store (as an entry would) and
 * talks to the app over HTTP with the resulting cookie or bearer token.
 */
import { now } from "~/lib/clock.server";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store, type Platform } from "~/lib/db/store.server";
import type { SqlDatabase } from "~/lib/db/types";
import { createSessionCookie, generateSessionToken, hashSessionToken, sessionLifetimes } from "~/lib/sessions/core.server";
import { startApp, type RunningApp } from "./app-server";
import { createScratchDatabase } from "./databases";

export interface SharedPostgresApp {
  app: RunningApp;
  store: Store;
  sql: SqlDatabase;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function startAppOnPostgres(env: Record<string, string> = {}): Promise<SharedPostgresApp> {
  const scratch = await createScratchDatabase();
  const db = await openPostgres(scratch.url);
  await migrate(db);
  const app = await startApp({ DATABASE_URL: scratch.url, ...env });
  return {
    app,
    store: new Store(db),
    sql: db,
    databaseUrl: scratch.url,
    async close() {
      await app.stop();
      await db.close();
      await scratch.drop();
    },
  };
}

let tenants = 0;

/** A client and a signed-in session for it, as the platform entry would create them. */
export async function signInDirect(
  store: Store,
  options: {
    platform?: Platform;
    externalId?: string;
    organizationName?: string;
    userId?: string;
    userName?: string;
    userAgent?: string;
    ipAddress?: string;
    rememberMe?: boolean;
  } = {},
) {
  tenants += 1;
  const client = await store.upsertClient(
    {
      platform: options.platform ?? "commerce7",
      externalId: options.externalId ?? `tenant-${process.pid}-${tenants}`,
      organizationName: options.organizationName ?? null,
    },
    now(),
  );
  const token = generateSessionToken();
  const rememberMe = options.rememberMe ?? false;
  const session = await store.createAppSession(
    {
      tokenHash: hashSessionToken(token),
      clientId: client.id,
      userId: options.userId ?? "user-1",
      userName: options.userName ?? "Ada Lovelace",
      userAgent: options.userAgent ?? "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      ipAddress: options.ipAddress ?? "198.51.100.4",
      rememberMe,
      ...sessionLifetimes(rememberMe),
    },
    now(),
  );
  const cookie = (await createSessionCookie(token, { rememberMe })).split(";")[0];
  return { client, session, token, cookie };
}
