/**
 * What production refuses and what it loads: the embedded PGlite is refused
 * unless the operator opts in (it would keep every shop's offline token on
 * the instance's own disk), and a server on a database server never loads it.
 * The whole production install (clean install, build, prune, migrate, start,
 * entries) is scripts/production-install.sh, which CI runs on a clean clone.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startApp, startAppExpectingFailure } from "../support/app-server";

const PRODUCTION = {
  NODE_ENV: "production",
  APP_URL: "https://app.example",
  SESSION_SECRET: "+DizDzFjvJSAgO2zpigxExabD/BHYyKLIgwD9ybqyTo=",
  TOKEN_ENCRYPTION_KEY: "7f823f957b449cde2f321c7c400b31270f4b492178d7631cb57f85556985753b",
  PGLITE_DIR: "memory://",
};

describe("production and the embedded PGlite", () => {
  it("refuses to start without a database server, naming DATABASE_URL, the opt-in and why", async () => {
    const { code, output } = await startAppExpectingFailure(PRODUCTION);
    expect(code).toBe(1);
    expect(output).toContain("DATABASE_URL");
    expect(output).toContain("ALLOW_PGLITE_IN_PRODUCTION=1");
    expect(output).toMatch(/offline token.*disk.*deploy/s);
    expect(output).not.toMatch(/at .*\.js:\d+/); // a message, not a stack
  });

  it("starts on it when the operator opts in explicitly", async () => {
    const app = await startApp({ ...PRODUCTION, ALLOW_PGLITE_IN_PRODUCTION: "1" });
    try {
      const res = await fetch(`${app.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ database: "pglite" });
    } finally {
      await app.stop();
    }
  }, 120_000); // a cold start on a busy machine

  it("an unreadable opt-in is refused by name", async () => {
    const { code, output } = await startAppExpectingFailure({ ...PRODUCTION, ALLOW_PGLITE_IN_PRODUCTION: "yes please" });
    expect(code).toBe(1);
    expect(output).toContain("ALLOW_PGLITE_IN_PRODUCTION");
  });

  it("the server build loads PGlite only when the settings select it (a dynamic import, never a static one)", () => {
    const build = fs.readFileSync(path.resolve("build/index.js"), "utf8");
    expect(build).not.toMatch(/^import\s[^;]*from\s*["']@electric-sql\/pglite["']/m);
    expect(build).toMatch(/import\(\s*["']@electric-sql\/pglite["']\s*\)/);
  });
});
