/**
 * Platform tokens at rest: AES-256-GCM under TOKEN_ENCRYPTION_KEY.
 *
 * A stored value is "<key id>:<iv>:<ciphertext+tag>" (the two last parts
 * base64url). The key id is the first 8 bytes of SHA-256(key), in hex: it
 * names the key without revealing it, so keys rotate by listing a new one
 * first (it encrypts from then on) and keeping the old ones after it until
 * nothing is stored under them (they still decrypt).
 *
 * Each value is bound (GCM additional data) to where it is stored, e.g.
 * "platform_sessions:offline_shop.myshopify.com:access_token": a ciphertext
 * copied into another row or column does not decrypt.
 *
 * Written on node:crypto (the well-kept library here): a 12-byte random IV
 * per value and the 16-byte tag, nothing more.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { env } from "~/lib/env.server";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class TokenDecryptionError extends Error {
  constructor(readonly reason: "malformed" | "unknown_key" | "tampered", readonly keyId: string | null) {
    super(
      reason === "unknown_key"
        ? `encrypted with key ${keyId}, which is not in TOKEN_ENCRYPTION_KEY`
        : reason === "tampered"
          ? "the value does not decrypt with its key (altered, or stored for another row or column)"
          : "not an encrypted token value",
    );
    this.name = "TokenDecryptionError";
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** Encrypt under the newest key (the first in the list). */
export function encryptToken(plaintext: string, context: string, keys: Buffer[] = env().TOKEN_ENCRYPTION_KEY): string {
  const key = keys[0];
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${keyIdOf(key)}:${iv.toString("base64url")}:${sealed.toString("base64url")}`;
}

/** Decrypt with whichever configured key the value names. Throws TokenDecryptionError. */
export function decryptToken(value: string, context: string, keys: Buffer[] = env().TOKEN_ENCRYPTION_KEY): string {
  const parts = value.split(":");
  if (parts.length !== 3 || !/^[0-9a-f]{16}$/.test(parts[0])) throw new TokenDecryptionError("malformed", null);
  const [keyId, ivText, sealedText] = parts;
  const key = keys.find((k) => keyIdOf(k) === keyId);
  if (!key) throw new TokenDecryptionError("unknown_key", keyId);
  const iv = Buffer.from(ivText, "base64url");
  const sealed = Buffer.from(sealedText, "base64url");
  if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw new TokenDecryptionError("malformed", keyId);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new TokenDecryptionError("tampered", keyId);
  }
}

/** The key id a stored value was encrypted under (for rotation reports). */
export function encryptedWithKey(value: string): string | null {
  const id = value.split(":")[0];
  return /^[0-9a-f]{16}$/.test(id) ? id : null;
}
