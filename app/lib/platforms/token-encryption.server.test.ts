/**
 * Platform tokens at rest: AES-256-GCM with a key id per value, so keys
 * rotate; a value moved, altered or orphaned by its key is refused.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptToken, encryptToken, encryptedWithKey, keyIdOf, TokenDecryptionError } from "./token-encryption.server";

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const TOKEN = "shpat_0123456789abcdef0123456789abcdef";
const WHERE = "platform_sessions:offline_a.myshopify.com:access_token";

function refusal(run: () => unknown): TokenDecryptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenDecryptionError);
    return error as TokenDecryptionError;
  }
  throw new Error("expected decryption to be refused");
}

describe("token encryption", () => {
  it("round-trips, and the stored value names its key but does not contain the token", () => {
    const stored = encryptToken(TOKEN, WHERE, [NEW]);
    expect(stored).not.toContain(TOKEN);
    expect(stored).not.toContain(Buffer.from(TOKEN).toString("base64url").slice(0, 16));
    expect(encryptedWithKey(stored)).toBe(keyIdOf(NEW));
    expect(decryptToken(stored, WHERE, [NEW])).toBe(TOKEN);
  });

  it("encrypts the same token differently each time (random IV)", () => {
    expect(encryptToken(TOKEN, WHERE, [NEW])).not.toBe(encryptToken(TOKEN, WHERE, [NEW]));
  });

  it("after a rotation, values under the old key still decrypt and new values use the new key", () => {
    const underOld = encryptToken(TOKEN, WHERE, [OLD]);
    const rotated = [NEW, OLD];
    expect(decryptToken(underOld, WHERE, rotated)).toBe(TOKEN);
    expect(encryptedWithKey(encryptToken(TOKEN, WHERE, rotated))).toBe(keyIdOf(NEW));
  });

  it("a value whose key was removed is refused, naming the missing key", () => {
    const underOld = encryptToken(TOKEN, WHERE, [OLD]);
    const error = refusal(() => decryptToken(underOld, WHERE, [NEW]));
    expect(error.reason).toBe("unknown_key");
    expect(error.message).toContain(keyIdOf(OLD));
    expect(error.message).not.toContain(TOKEN);
  });

  it("a value copied to another row or column does not decrypt", () => {
    const stored = encryptToken(TOKEN, WHERE, [NEW]);
    expect(refusal(() => decryptToken(stored, "platform_sessions:offline_b.myshopify.com:access_token", [NEW])).reason).toBe("tampered");
    expect(refusal(() => decryptToken(stored, WHERE.replace("access", "refresh"), [NEW])).reason).toBe("tampered");
  });

  it("an altered value is refused", () => {
    const stored = encryptToken(TOKEN, WHERE, [NEW]);
    const [kid, iv, sealed] = stored.split(":");
    const bytes = Buffer.from(sealed, "base64url");
    bytes[0] ^= 1;
    expect(refusal(() => decryptToken(`${kid}:${iv}:${bytes.toString("base64url")}`, WHERE, [NEW])).reason).toBe("tampered");
    expect(refusal(() => decryptToken("plaintext-token", WHERE, [NEW])).reason).toBe("malformed");
  });
});
