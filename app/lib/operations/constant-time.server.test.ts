/**
 * Secrets are compared in constant time (ASVS 5.0 V11.2.4): every place the
 * app compares a presented secret with the expected one goes through
 * node:crypto's timingSafeEqual, on equal-length inputs (SHA-256 digests
 * where the lengths may differ), with no early exit. Session tokens,
 * handoff codes and OAuth states are never compared at all: the database
 * looks up their SHA-256. The libraries that check signatures for us are
 * pinned to comparing in constant time too, so an upgrade that changes
 * that fails here.
 */
import * as crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hasBasicCredentials } from "~/lib/platforms/commerce7/install.server";
import { csrfFailure } from "~/lib/sessions/csrf.server";
import { resetEnv } from "~/lib/env.server";
import { requireOperatorToken, safeEqual } from "~/lib/operations/operator-auth.server";
import type { AppSession } from "~/lib/sessions/core.server";

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const compared = vi.mocked(crypto.timingSafeEqual);
const require = createRequire(import.meta.url);

/** The buffers of each timingSafeEqual call so far, as [length of a, length of b]. */
function comparisons(): Array<[number, number]> {
  return compared.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]);
}

beforeEach(() => {
  compared.mockClear();
});

describe("operator secrets (CRON_SECRET, METRICS_TOKEN)", () => {
  const saved = { CRON_SECRET: process.env.CRON_SECRET, METRICS_TOKEN: process.env.METRICS_TOKEN };
  beforeAll(() => {
    process.env.CRON_SECRET = "cron-secret-constant-time-0123456789";
    process.env.METRICS_TOKEN = "metrics-token-constant-time-0123456789";
    resetEnv();
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetEnv();
  });

  it("are compared as SHA-256 digests with timingSafeEqual, whatever the lengths", () => {
    expect(safeEqual("short", "a-much-longer-expected-secret")).toBe(false);
    expect(safeEqual("same-secret-value", "same-secret-value")).toBe(true);
    expect(safeEqual("same-secret-valuE", "same-secret-value")).toBe(false);
    expect(comparisons()).toEqual([
      [32, 32],
      [32, 32],
      [32, 32],
    ]);
  });

  it("every configured secret is compared, even after one matched (no early exit)", async () => {
    const request = new Request("https://app.test.example/api/metrics", {
      headers: { Authorization: "Bearer metrics-token-constant-time-0123456789" },
    });
    await expect(requireOperatorToken(request, "metrics")).resolves.toBeUndefined();
    expect(comparisons()).toEqual([
      [32, 32],
      [32, 32],
    ]);
  });
});

describe("the CSRF token", () => {
  const session = { via: "cookie", csrfToken: "a".repeat(64) } as AppSession;
  const request = new Request("https://app.test.example/app/settings", { method: "POST", headers: { "Sec-Fetch-Site": "same-origin" } });

  it("is compared with timingSafeEqual", () => {
    expect(csrfFailure(request, session, "a".repeat(64))).toBeNull();
    expect(csrfFailure(request, session, `${"a".repeat(63)}b`)).toBe("bad_token");
    expect(comparisons()).toEqual([
      [64, 64],
      [64, 64],
    ]);
  });
});

describe("Commerce7's activation Basic auth", () => {
  const expected = { user: "c7-installer", password: "c7-install-password-0123456789" };
  const withAuth = (user: string, password: string) =>
    new Request("https://app.test.example/install/commerce7", {
      method: "POST",
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
    });

  it("compares the user and the password as SHA-256 digests, both always (no early exit on a wrong user)", () => {
    expect(hasBasicCredentials(withAuth("intruder", "guess"), expected)).toBe(false);
    expect(hasBasicCredentials(withAuth(expected.user, expected.password), expected)).toBe(true);
    expect(hasBasicCredentials(new Request("https://app.test.example/install/commerce7"), expected)).toBe(false);
    expect(comparisons()).toEqual(Array.from({ length: 6 }, () => [32, 32]));
  });
});

describe("libraries that verify signatures for the app (pinned: an upgrade that changes this fails here)", () => {
  function source(pkg: string, ...rest: string[]): string {
    // The installed package's folder (some packages do not export their package.json).
    const entry = require.resolve(pkg);
    const root = entry.slice(0, entry.lastIndexOf(`node_modules${path.sep}${pkg}`) + `node_modules${path.sep}${pkg}`.length);
    return fs.readFileSync(path.join(root, ...rest), "utf8");
  }

  it("cookie-signature (the session cookie's HMAC) unsigns with crypto.timingSafeEqual", () => {
    expect(source("cookie-signature", "index.js")).toMatch(/crypto\.timingSafeEqual\(expectedBuffer, inputBuffer\)/);
  });

  it("jose (Shopify session tokens, HS256) verifies an HMAC with crypto.timingSafeEqual", () => {
    for (const build of ["esm", "cjs"]) {
      const verify = source("jose", "dist", "node", build, "runtime", "verify.js");
      expect(verify, build).toMatch(/if \(alg\.startsWith\('HS'\)\) \{[\s\S]*?crypto\.timingSafeEqual\(actual, expected\)/);
    }
  });

  it("@shopify/shopify-api (webhook and OAuth callback HMACs) compares with its XOR-accumulating safeCompare", () => {
    const files = [
      ["dist", "esm", "lib", "auth", "oauth", "safe-compare.mjs"],
      ["dist", "cjs", "lib", "auth", "oauth", "safe-compare.js"],
    ];
    for (const file of files) {
      const compare = source("@shopify/shopify-api", ...file);
      expect(compare, file.join("/")).toMatch(/out \|= viewA\[i\] \^ viewB\[i\];[\s\S]*return out === 0;/);
    }
    const validator = source("@shopify/shopify-api", "dist", "cjs", "lib", "utils", "hmac-validator.js");
    expect(validator.match(/safeCompare\.safeCompare\(hmac, localHmac\)/g)).toHaveLength(2);
  });
});
