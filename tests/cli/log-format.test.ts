/**
 * What `npm run dev` and production print: readable lines (pino-pretty) in
 * development, JSON lines in production (and with LOG_FORMAT=json), with
 * credentials redacted either way.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

function logLine(env: Record<string, string>): string {
  const script =
    "import('./app/lib/log.server.ts').then((m) => { m.logger.info({ event: 'demo', token: 'tok-secret-123' }, 'hello'); setTimeout(() => {}, 300); })";
  return execFileSync("npx", ["tsx", "-e", script], {
    env: { ...process.env, LOG_LEVEL: "info", LOG_FORMAT: "", ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("log format", () => {
  it("development: one readable line, not JSON; the token redacted", () => {
    const out = logLine({ NODE_ENV: "development" });
    expect(out).toContain("hello");
    expect(out).not.toContain("tok-secret-123");
    expect(() => JSON.parse(out.trim().split("\n")[0])).toThrow();
  });

  it("production and LOG_FORMAT=json: JSON lines", () => {
    for (const env of [{ NODE_ENV: "production" }, { NODE_ENV: "development", LOG_FORMAT: "json" }] as Record<string, string>[]) {
      const line = JSON.parse(logLine(env).trim().split("\n")[0]) as { msg: string; token: string };
      expect(line.msg).toBe("hello");
      expect(line.token).toBe("[redacted]");
    }
  });
});
