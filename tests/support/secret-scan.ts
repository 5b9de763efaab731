/**
 * "No token, cookie value, secret or access token ever appears in a log line
 * or an audit row." Register every secret a test issued or used, then scan
 * whatever the app wrote (its stdout, session_events rows...) for each of
 * them in the forms it could leak in: as is, URL-encoded, base64 and
 * base64url (a signed cookie carries its token base64-encoded), and JSON-escaped.
 *
 *   const secrets = new SecretRegistry();
 *   secrets.add("session token", token);
 *   secrets.addCookie("session cookie", "__Host-app_session=…");
 *   expectNoSecrets(secrets, { "server output": app.output(), "session_events": JSON.stringify(rows) });
 *
 * Platform flows add their own values (Shopify id_token and access tokens,
 * Commerce7 account tokens, Basic auth pairs, HMACs) to the same registry.
 */
import { expect } from "vitest";

/** Shorter values would match by accident (and are not secrets). */
const MIN_LENGTH = 12;

export class SecretRegistry {
  private readonly values = new Map<string, string>();

  /** Register a secret under a label that says what it is (the label, never the value, is reported). */
  add(label: string, value: string | null | undefined): this {
    if (!value || value.length < MIN_LENGTH) return this;
    for (const form of forms(value)) {
      if (form.length >= MIN_LENGTH && !this.values.has(form)) this.values.set(form, label);
    }
    return this;
  }

  /** A `name=value` cookie pair or a Set-Cookie header: registers the value (and its decoded payload). */
  addCookie(label: string, setCookieOrPair: string): this {
    const pair = setCookieOrPair.split(";")[0];
    const value = pair.slice(pair.indexOf("=") + 1);
    this.add(label, value);
    const decoded = safeDecode(value);
    this.add(label, decoded);
    // A signed Remix cookie is "<base64 JSON>.<signature>": both halves are secret material.
    for (const part of decoded.split(".")) this.add(`${label} (part)`, part);
    return this;
  }

  get size(): number {
    return this.values.size;
  }

  /** Every registered secret found in `text`, as "<label> in <where>". */
  scan(text: string, where: string): string[] {
    const found: string[] = [];
    for (const [value, label] of this.values) {
      if (text.includes(value)) found.push(`${label} in ${where}`);
    }
    return [...new Set(found)];
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function forms(value: string): string[] {
  const buffer = Buffer.from(value);
  return [
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    buffer.toString("base64"),
    buffer.toString("base64url"),
    // The base64 form without its last two characters, which change when more bytes follow it.
    buffer.toString("base64").replace(/=+$/, "").slice(0, -2),
  ];
}

/** Fail, naming each leak (label and where), if any registered secret appears in any source. */
export function expectNoSecrets(secrets: SecretRegistry, sources: Record<string, string>): void {
  expect(secrets.size, "register the secrets before scanning").toBeGreaterThan(0);
  const leaks = Object.entries(sources).flatMap(([where, text]) => secrets.scan(text, where));
  expect(leaks, "secrets found in logs or audit rows").toEqual([]);
}
