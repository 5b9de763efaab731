/**
 * Once per test run, before any test file:
 *  - build the app: HTTP and browser tests run the built app, as production
 *    does (a couple of seconds with the classic compiler);
 *  - find PostgreSQL: TEST_DATABASE_URL if set, otherwise the machine's own
 *    server at 127.0.0.1:5432 (user postgres, database test) if it answers.
 *    Workers inherit the setting; when neither answers, the PostgreSQL suites
 *    say they are skipped and why (tests/support/databases.ts).
 */
import { execFileSync } from "node:child_process";
import postgres from "postgres";

export const LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export default async function setup() {
  if (!process.env.TEST_DATABASE_URL && (await answers(LOCAL_POSTGRES))) {
    process.env.TEST_DATABASE_URL = LOCAL_POSTGRES;
  }
  if (process.env.SKIP_BUILD === "1") return;
  execFileSync(process.execPath, ["node_modules/@remix-run/dev/dist/cli.js", "build"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
}
