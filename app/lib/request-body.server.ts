/**
 * Reading a request's body: the one way routes do it (ESLint forbids
 * `request.json()`, `.text()`, `.formData()` elsewhere in app/).
 *
 * Every read is bounded as it streams: bytes are counted as they arrive and
 * reading stops at the route's limit with a 413, whether the size was
 * declared (Content-Length) or not (Transfer-Encoding: chunked). The stream
 * is left unread, not cancelled: cancelling would destroy the socket before
 * the 413 is written; server.js discards the rest after the answer
 * (keepConnectionForUnreadBody in app/lib/request-guards.server.ts).
 *
 * What comes out is text PostgreSQL can store and code can walk without
 * recursion limits: valid UTF-8, no NUL, no unpaired surrogate (JSON can
 * spell one as "\ud800"), and JSON nested at most MAX_JSON_DEPTH deep.
 * Anything else is a 400 naming the field, never a 500 further down.
 *
 *   const body = await readJsonBody(request, { maxBytes: 64 * 1024 });
 *   const form = await readFormBody(request);
 */
import { unstorableTextPath } from "~/lib/db/storable-text";
import { jsonError } from "~/lib/http.server";

/** Forms the app renders (settings, sessions, logout) are a few hundred bytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
/** Deeper than any body a platform or the app's own pages send. */
export const MAX_JSON_DEPTH = 32;

export interface BodyLimits {
  /** Stop reading and answer 413 past this many bytes. */
  maxBytes?: number;
}

function tooLarge(maxBytes: number): Response {
  return jsonError(413, "body_too_large", `The body is larger than ${maxBytes} bytes.`);
}

function invalidBody(message: string, field: string | null = null): Response {
  return jsonError(400, "invalid_body", message, {}, { field });
}

/**
 * The body's bytes; throws 413 (a Response) past `maxBytes`. A body that
 * breaks off (the client went away) is a 400.
 */
export async function readBodyBytes(request: Request, { maxBytes = DEFAULT_MAX_BODY_BYTES }: BodyLimits = {}): Promise<Buffer> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return Buffer.alloc(0);
  if (request.bodyUsed) throw new Error("the request body was already read");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      // Stop here: the rest is discarded by server.js after the answer.
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    throw invalidBody("The body could not be read to its end.");
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body as text: valid UTF-8 without NUL (400 otherwise), at most `maxBytes` (413). */
export async function readBodyText(request: Request, limits: BodyLimits = {}): Promise<string> {
  const bytes = await readBodyBytes(request, limits);
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw invalidBody("The body is not valid UTF-8.");
  }
  if (text.includes("\u0000")) throw invalidBody("The body must not contain NUL characters.");
  return text;
}

/**
 * Is this JSON text nested deeper than `max`? One pass over the characters,
 * no recursion (so no stack to overflow, whatever the depth).
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * The body parsed as JSON: 413 past `maxBytes`, 400 when it is not JSON, is
 * nested deeper than MAX_JSON_DEPTH, or holds a key or string PostgreSQL
 * cannot store (the 400 names its path, e.g. `user.firstName`).
 */
export async function readJsonBody(request: Request, limits: BodyLimits = {}): Promise<unknown> {
  const text = await readBodyText(request, limits);
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw invalidBody(`The body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidBody("The body must be JSON.");
  }
  const path = unstorableTextPath(value);
  if (path !== null) {
    // "" is the body itself only when the body is a bare string; in an object it is the key "".
    const field = path === "" && typeof value === "string" ? null : path;
    throw invalidBody(`${field === null ? "body" : field || '""'}: must not contain NUL characters or unpaired surrogates.`, field);
  }
  return value;
}

/**
 * The body as a form (URL-encoded or multipart), parsed by the platform's
 * own parser once the bytes are in, under the limit. A field holding NUL is a
 * 400 naming it.
 */
export async function readFormBody(request: Request, limits: BodyLimits = {}): Promise<FormData> {
  const bytes = await readBodyBytes(request, limits);
  const contentType = request.headers.get("content-type") ?? "application/x-www-form-urlencoded";
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(bytes), { headers: { "Content-Type": contentType } }).formData();
  } catch {
    throw invalidBody("The form could not be read.");
  }
  for (const [name, value] of form) {
    const path = unstorableTextPath({ [name]: typeof value === "string" ? value : value.name });
    if (path !== null) throw invalidBody(`${path}: must not contain NUL characters or unpaired surrogates.`, path);
  }
  return form;
}
