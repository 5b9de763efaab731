/**
 * Property-based fuzzing of the session door: generated Cookie and
 * Authorization headers never crash requireAppSession (only the documented
 * 302 / 401 refusals), and no generated or mutated credential is accepted
 * unless it carries, byte for byte, a token and signature we issued.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setStore } from "~/lib/db/index.server";
import { requireAppSession, sessionCookieName, type AppSession } from "~/lib/sessions/core.server";
import { pgliteBackend, type TestDatabase } from "../support/databases";
import { APP, makeClient } from "../support/sessions";
import { createAppSession } from "~/lib/sessions/core.server";
import { fuzz, FUZZ_TIMEOUT_MS } from "./support";

type Outcome =
  | { kind: "accepted"; session: AppSession }
  | { kind: "refused"; status: number }
  /** A header value no HTTP client can send (the Fetch API rejects it before the app). */
  | { kind: "unsendable" };

async function attempt(headers: Record<string, string>): Promise<Outcome> {
  let request: Request;
  try {
    request = new Request(`${APP}/app`, { headers: new Headers(headers) });
  } catch (error) {
    if (error instanceof TypeError) return { kind: "unsendable" };
    throw error;
  }
  try {
    return { kind: "accepted", session: await requireAppSession(request) };
  } catch (thrown) {
    if (thrown instanceof Response) return { kind: "refused", status: thrown.status };
    throw thrown; // anything else would be a 500
  }
}

/** What a cookie value means once the Cookie header is parsed (percent-decoding applied). */
function decoded(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // the cookie parser keeps undecodable values as they are
  }
}

describe("fuzzing the session door", { timeout: FUZZ_TIMEOUT_MS }, () => {
  let db: TestDatabase;
  let token: string;
  let cookieValue: string;
  let sessionId: string;

  beforeAll(async () => {
    db = await pgliteBackend.open();
    setStore(db.store);
    const client = await makeClient(db.store);
    const created = await createAppSession({ request: new Request(`${APP}/app`), clientId: client.id, user: { id: "u" } });
    token = created.token;
    sessionId = created.session.id;
    const pair = created.setCookie.split(";")[0];
    cookieValue = pair.slice(pair.indexOf("=") + 1);
  });
  afterAll(async () => {
    setStore(undefined);
    await db.close();
  });

  const name = () => sessionCookieName();

  it("arbitrary Cookie headers are refused with 302, never a crash", async () => {
    await fuzz(
      "cookies",
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.string({ maxLength: 300 }).map((v) => `${name()}=${v}`),
        fc.base64String({ maxLength: 200 }).map((v) => `${name()}=${v}`),
        fc.tuple(fc.base64String({ maxLength: 80 }), fc.base64String({ maxLength: 60 })).map(([a, b]) => `${name()}=${a}.${b}`),
        fc.constantFrom(`${name()}=`, `${name()}=%`, `${name()}=%E0%A4%A`, `${name()}="`, `${name()}=${"A".repeat(9000)}`),
      ),
      async (cookie) => {
        const outcome = await attempt({ Cookie: cookie, Accept: "text/html" });
        if (outcome.kind !== "unsendable") expect(outcome).toEqual({ kind: "refused", status: 302 });
      },
    );
  });

  it("a valid cookie with any one character changed is refused (unless it decodes to the same value)", async () => {
    const value = cookieValue;
    const original = decoded(value);
    await fuzz(
      "cookieMutations",
      fc.record({
        index: fc.nat({ max: value.length - 1 }),
        replacement: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.%"),
      }),
      async ({ index, replacement }) => {
        fc.pre(value[index] !== replacement);
        const mutated = value.slice(0, index) + replacement + value.slice(index + 1);
        const outcome = await attempt({ Cookie: `${name()}=${mutated}`, Accept: "application/json" });
        if (outcome.kind === "accepted") {
          // "%2B" and "%2b" are the same character: such a "mutation" is the
          // very cookie we issued, not a forgery.
          expect(decoded(mutated)).toBe(original);
          expect(outcome.session.id).toBe(sessionId);
        } else {
          expect(outcome).toEqual({ kind: "refused", status: 401 });
        }
      },
    );
  });

  it("arbitrary Authorization headers are refused with 401, never a crash", async () => {
    await fuzz(
      "authorization",
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }).map((v) => `Bearer ${v}`),
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((v) => `Bearer ${v}`),
        fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => `Bearer ${parts.join(".")}`),
        fc.constantFrom("Bearer", "Bearer ", "bearer x", "Basic dXNlcjpwYXNz", `Bearer ${"x".repeat(5000)}`),
      ),
      async (authorization) => {
        fc.pre(authorization.trim() !== `Bearer ${token}`);
        const outcome = await attempt({ Authorization: authorization });
        if (outcome.kind !== "unsendable") expect(outcome).toEqual({ kind: "refused", status: 401 });
      },
    );
  });

  it("the real token with one character changed is refused", async () => {
    await fuzz(
      "tokenMutations",
      fc.record({
        index: fc.nat({ max: token.length - 1 }),
        replacement: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      }),
      async ({ index, replacement }) => {
        fc.pre(token[index] !== replacement);
        const mutated = token.slice(0, index) + replacement + token.slice(index + 1);
        expect(await attempt({ Authorization: `Bearer ${mutated}` })).toEqual({ kind: "refused", status: 401 });
      },
    );
  });

  it("the issued credentials themselves are accepted (the fuzzers could have failed)", async () => {
    expect((await attempt({ Authorization: `Bearer ${token}` })).kind).toBe("accepted");
    expect((await attempt({ Cookie: `${name()}=${cookieValue}` })).kind).toBe("accepted");
  });
});
