/**
 * Production refuses settings that would make the app unsafe, naming the
 * variable and the fix; development and tests stay easy to start. The server
 * itself refusing (exit 1, the message) is proven in tests/http/production-settings.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "~/lib/env.server";

const GOOD = {
  NODE_ENV: "production",
  APP_URL: "https://app.example.com",
  SESSION_SECRET: randomBytes(32).toString("base64"),
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  DATABASE_URL: "postgres://app@db.internal:5432/app",
};

function problemsOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("production settings", () => {
  it("random secrets and an https APP_URL start", () => {
    expect(problemsOf(GOOD)).toEqual([]);
    // openssl rand -hex 32, -base64 24, and a long passphrase are all fine
    expect(problemsOf({ ...GOOD, SESSION_SECRET: randomBytes(32).toString("hex") })).toEqual([]);
    expect(problemsOf({ ...GOOD, SESSION_SECRET: randomBytes(24).toString("base64") })).toEqual([]);
    expect(problemsOf({ ...GOOD, SESSION_SECRET: "correct horse battery staple then seven more words" })).toEqual([]);
    expect(problemsOf({ ...GOOD, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("hex") })).toEqual([]);
  });

  it.each([
    ["one character repeated", "a".repeat(64)],
    ["one digit repeated", "0".repeat(32)],
    ["a short unit repeated", "abc1".repeat(12)],
    ["a hex alphabet twice", "0123456789abcdef0123456789abcdef"],
    ["an alphabet run", "abcdefghijklmnopqrstuvwxyz0123456789"],
    ["almost one character", `${"x".repeat(40)}y`],
    ["a placeholder with little variety", "changeme-changeme-changeme-changeme!"],
  ])("a guessable SESSION_SECRET (%s) is refused", (_label, secret) => {
    const problems = problemsOf({ ...GOOD, SESSION_SECRET: secret });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SESSION_SECRET: too predictable .*openssl rand/);
  });

  it("an old secret kept for rotation is checked too", () => {
    const problems = problemsOf({ ...GOOD, SESSION_SECRET: `${GOOD.SESSION_SECRET},${"z".repeat(40)}` });
    expect(problems).toEqual([expect.stringMatching(/^SESSION_SECRET: too predictable/)]);
  });

  it.each([
    ["all zero", "0".repeat(64)],
    ["zero but the last byte", `${"0".repeat(62)}01`],
    ["one byte repeated", "ab".repeat(32)],
    ["a 4-byte pattern", "deadbeef".repeat(8)],
    ["base64 of zeros", Buffer.alloc(32).toString("base64")],
  ])("a TOKEN_ENCRYPTION_KEY that is not random (%s) is refused", (_label, key) => {
    const problems = problemsOf({ ...GOOD, TOKEN_ENCRYPTION_KEY: key });
    expect(problems).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY: not a random key/)]);
  });

  it("a rotation list with one weak key is refused", () => {
    const problems = problemsOf({ ...GOOD, TOKEN_ENCRYPTION_KEY: `${GOOD.TOKEN_ENCRYPTION_KEY},${"0".repeat(64)}` });
    expect(problems).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY: not a random key/)]);
  });

  it.each(["http://app.example.com", "http://10.0.0.5:3000", "http://app.example.com.127.0.0.1.nip.io", "ftp://app.example.com"])(
    "APP_URL %s is refused in production",
    (appUrl) => {
      expect(problemsOf({ ...GOOD, APP_URL: appUrl })).toEqual([expect.stringMatching(/^APP_URL: must be https in production/)]);
    },
  );

  it.each(["http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:3000", "https://app.example.com/"])(
    "APP_URL %s is accepted in production (https, or http on loopback)",
    (appUrl) => {
      expect(problemsOf({ ...GOOD, APP_URL: appUrl })).toEqual([]);
    },
  );

  it("development and test runs keep their easy settings", () => {
    for (const NODE_ENV of ["development", "test"]) {
      expect(
        problemsOf({ NODE_ENV, APP_URL: "http://app.example.com", SESSION_SECRET: "a".repeat(32), TOKEN_ENCRYPTION_KEY: "0".repeat(64) }),
      ).toEqual([]);
    }
  });
});

describe("TRUST_PROXY", () => {
  const trust = (value: string | undefined) => parseEnv({ ...GOOD, TRUST_PROXY: value }).TRUST_PROXY;

  it("defaults to the connection's own address (nothing a client sends is believed)", () => {
    expect(trust(undefined)).toBe(false);
    expect(trust("")).toBe(false);
    expect(trust("false")).toBe(false);
    expect(trust("0")).toBe(false);
  });

  it("takes a hop count or a list of proxy addresses, subnets and names", () => {
    expect(trust("1")).toBe(1);
    expect(trust("2")).toBe(2);
    expect(trust("loopback")).toEqual(["loopback"]);
    expect(trust("10.0.0.0/8, 172.16.0.0/12,fd00::/8")).toEqual(["10.0.0.0/8", "172.16.0.0/12", "fd00::/8"]);
  });

  it('refuses "true" in every mode, naming the replacement', () => {
    for (const NODE_ENV of ["production", "development", "test"]) {
      const problems = problemsOf({ ...GOOD, NODE_ENV, TRUST_PROXY: "true" });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TRUST_PROXY: .*leftmost X-Forwarded-For.*number of proxies.*\(e\.g\. 1\).*docs\/DEPLOY\.md/);
    }
  });

  it.each(["yes", "10.0.0.0/33", "not-an-address", "1.2.3"])("refuses %s with a message naming the variable", (value) => {
    expect(problemsOf({ ...GOOD, TRUST_PROXY: value })).toEqual([expect.stringMatching(/^TRUST_PROXY: must be a hop count or a list/)]);
  });
});
