/**
 * The session token itself: where its randomness comes from, how much of it
 * there is, and what the cookie and the database get of it.
 */
import * as crypto from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { env } from "~/lib/env.server";
import { createSessionCookie, generateSessionToken, hashSessionToken, isSessionTokenShape } from "~/lib/sessions/core.server";
import { cookieAttributes } from "../../../tests/support/sessions";

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, randomBytes: vi.fn(actual.randomBytes) };
});

describe("session tokens", () => {
  it("a token is 32 bytes (256 bits) from node:crypto's CSPRNG, base64url, and never the same twice", () => {
    vi.mocked(crypto.randomBytes).mockClear();
    const tokens = Array.from({ length: 2000 }, () => generateSessionToken());
    expect(crypto.randomBytes).toHaveBeenCalledTimes(2000);
    for (const [size] of vi.mocked(crypto.randomBytes).mock.calls) expect(size).toBe(32);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
      expect(isSessionTokenShape(token)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
    // Every bit varies: across 2000 tokens no bit position is stuck at 0 or 1.
    const ors = Buffer.alloc(32);
    const ands = Buffer.alloc(32, 0xff);
    for (const token of tokens) {
      const bytes = Buffer.from(token, "base64url");
      for (let i = 0; i < 32; i++) {
        ors[i] |= bytes[i];
        ands[i] &= bytes[i];
      }
    }
    expect(ors.equals(Buffer.alloc(32, 0xff))).toBe(true);
    expect(ands.equals(Buffer.alloc(32))).toBe(true);
  });

  it("the database key is the token's SHA-256, which does not contain the token", () => {
    const token = generateSessionToken();
    const hash = hashSessionToken(token);
    expect(hash).toBe(crypto.createHash("sha256").update(token).digest("hex"));
    expect(hash).not.toContain(token);
  });

  it("the cookie carries the token with an HMAC-SHA256 of it under SESSION_SECRET, and nothing else", () => {
    const token = generateSessionToken();
    const { value } = cookieAttributes(createSessionCookie(token));
    const signed = decodeURIComponent(value);
    const mac = crypto.createHmac("sha256", env().SESSION_SECRET[0]).update(token).digest("base64").replace(/=+$/, "");
    expect(signed).toBe(`${token}.${mac}`);
  });
});
