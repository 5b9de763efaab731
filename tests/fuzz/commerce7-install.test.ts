/**
 * Fuzzing Commerce7's activation and deactivation calls over real HTTP (the
 * built app on PostgreSQL). Any Authorization header that does not carry
 * the Dev Center's Basic auth pair (another user or password, no colon,
 * malformed base64, another scheme, none) gets 401 and installs or removes
 * nothing. With the right pair, generated bodies get 200 when they are what
 * Commerce7 sends, 400 naming the broken field when one field is broken,
 * 400 when the body is not a JSON object, 413 when too large; never 5xx.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, COMMERCE7_TEST_ENV, TEST_INSTALLER } from "../support/commerce7";
import { postgresAvailable } from "../support/databases";
import { signInDirect, startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";
import { databaseState, expectNoServerErrors } from "./http";
import { anyString, fuzz, FUZZ_TIMEOUT_MS } from "./support";

/** Activated before the fuzzing; generated tenants start with "fz-", so no generated call names it. */
const INSTALLED = "fuzz-installed";
const RIGHT_PAIR = `${TEST_INSTALLER.user}:${TEST_INSTALLER.password}`;
const RIGHT = basic(TEST_INSTALLER.user, TEST_INSTALLER.password);
/** The app refuses bodies above 64 KiB. */
const MAX_BODY_BYTES = 64 * 1024;

type Call = "install" | "uninstall";

/** One call, exactly as sent. */
interface InstallCall {
  what: string;
  call: Call;
  body: string;
  /** Spaces appended up to this many bytes (JSON stays the same JSON). */
  padTo?: number;
  /** The Authorization header; null: none. */
  authorization: string | null;
}

/** A call with the right pair, and what it must get: the status, and for a 400 the field named (null: the body as a whole). */
interface BodyCall extends InstallCall {
  expect: { status: 200 | 400 | 413; field?: string | null } | { status: "200 or 400" };
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Does this header carry the right pair, however spelt (Node's base64 decoder is lenient)? */
function carriesRightPair(header: string | null): boolean {
  const match = /^basic\s+(\S+)$/i.exec(header?.trim() ?? "");
  return match !== null && Buffer.from(match[1], "base64").toString("utf8") === RIGHT_PAIR;
}

function padded(body: string, padTo?: number): string {
  const size = Buffer.byteLength(body);
  return padTo && padTo > size ? body + " ".repeat(padTo - size) : body;
}

// --- bodies -------------------------------------------------------------------------

const slug = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/);
/** A tenant id Commerce7 could send (never INSTALLED), with the whitespace the app trims. */
const tenantId = fc.record({ id: slug, pad: fc.constantFrom("", " ", "\t") }).map(({ id, pad }) => `${pad}fz-${id}${pad}`);
/** Any text, the whole of Unicode included; `nonBlank`: something left after trimming. */
const anyText = (maxLength: number, nonBlank = false) => anyString(maxLength).filter((s) => !nonBlank || s.trim().length > 0);
/** Names are one line of text: no control characters, no unpaired surrogates (BROKEN has those). */
const nameText = (maxLength: number, nonBlank = false) => anyText(maxLength, nonBlank).filter((s) => /^[^\p{Cc}\p{Cs}]*$/u.test(s));
/** What PostgreSQL cannot store in jsonb: NUL and unpaired surrogates (BROKEN has those). */
const storable = (s: string) => !s.includes("\u0000") && !/\p{Cs}/u.test(s);
const email = fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9]{1,6})?@[a-z0-9]{1,12}\.(com|example|wine)$/);
const setupVariables = fc.dictionary(
  anyText(20).filter((k) => storable(k) && !["tenantId", "user", "organization-name"].includes(k)),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), anyText(40).filter(storable)),
  { maxKeys: 4 },
);

const activation = fc.record(
  {
    tenantId,
    user: fc.record(
      { id: nameText(40, true), email, firstName: nameText(60, true), lastName: nameText(60) },
      { requiredKeys: ["email", "firstName", "lastName"] },
    ),
    "organization-name": nameText(120),
    setup: setupVariables,
  },
  { requiredKeys: ["tenantId", "user", "setup"] },
).map(({ setup, ...body }) => ({ ...setup, ...body }) as Record<string, unknown>);

const deactivation = fc.record(
  { tenantId, user: fc.record({ id: anyText(40).filter(storable) }, { requiredKeys: [] }), setup: setupVariables },
  { requiredKeys: ["tenantId", "setup"] },
).map(({ setup, ...body }) => ({ ...setup, ...body }) as Record<string, unknown>);

/** For each field: values that are not what Commerce7 sends ("$missing": the field left out). */
const BROKEN: Record<Call, Record<string, unknown[]>> = {
  install: {
    tenantId: ["$missing", 1, null, true, [], {}, "", "   ", "fz bad", "-fz", "fz/x", "ü-fz", ".fz", "fz\u0000", `fz-${"a".repeat(300)}`],
    user: ["$missing", "owner", 1, null, [], true],
    "user.email": ["$missing", "x", "a@", "@b.com", "a@b", "a b@c.com", 1, null, `${"a".repeat(320)}@winery.example`],
    "user.firstName": ["$missing", "", "   ", 1, null, [], "x".repeat(256), "Ol\u0000ive", "\u0007", "Two\nlines", "\ud800"],
    "user.lastName": ["$missing", 1, null, {}, "x".repeat(256), "\u0000", "\udfff"],
    "user.id": ["", "   ", 1, null, [], "x".repeat(256), "u\u0000"],
    "organization-name": [1, null, [], {}, true, "x".repeat(256), "Winery\u0000", "Two\nlines", "\ud800"],
    // setup variables: any JSON, but only text PostgreSQL can store
    note: ["a\u0000b", "\ud800"],
    "options.0": ["\u0000", "x\udfff"],
    "bad\u0000key": ["x"],
  },
  uninstall: {
    tenantId: ["$missing", 1, null, true, [], {}, "", "   ", "fz bad", "-fz", "fz/x", "ü-fz", ".fz", `fz-${"a".repeat(300)}`],
    user: ["owner", 1, [], true],
    // Any text PostgreSQL cannot store is refused wherever it stands in a body, used or not.
    "user.id": [1, null, [], {}, "u\u0000", "\ud800"],
  },
};

function withBroken(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const next = structuredClone(body);
  const [head, tail] = path.split(".");
  const target = tail ? ((next[head] ??= {}) as Record<string, unknown>) : next;
  const key = tail ?? head;
  if (value === "$missing") delete target[key];
  else target[key] = value;
  return next;
}

function bodies(call: Call): fc.Arbitrary<Omit<BodyCall, "authorization">> {
  const valid = call === "install" ? activation : deactivation;
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((body) => ({ what: "valid", call, body: JSON.stringify(body), expect: { status: 200 as const } })) },
    {
      weight: 5,
      arbitrary: fc
        .record({ body: valid, field: fc.constantFrom(...Object.keys(BROKEN[call])), pick: fc.nat() })
        .map(({ body, field, pick }) => {
          const value = BROKEN[call][field][pick % BROKEN[call][field].length];
          return { what: `${field}: ${JSON.stringify(value)}`, call, body: JSON.stringify(withBroken(body, field, value)), expect: { status: 400 as const, field } };
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.string({ maxLength: 200 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }), fc.constantFrom("", "{", "{'tenantId': 'x'}", "\u0000"))
        .map((body) => ({ what: "not JSON", call, body, expect: { status: 400 as const, field: null } })),
    },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue({ maxDepth: 2 })
        .filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
        .map((v) => ({ what: "JSON, not an object", call, body: JSON.stringify(v), expect: { status: 400 as const, field: null } })),
    },
    {
      weight: 1,
      arbitrary: fc.object({ maxDepth: 2 }).map((v) => ({ what: "any object", call, body: JSON.stringify(v), expect: { status: "200 or 400" as const } })),
    },
    {
      weight: 1,
      arbitrary: valid.map((body) => ({ what: "too large", call, body: JSON.stringify(body), padTo: MAX_BODY_BYTES + 1, expect: { status: 413 as const } })),
    },
  );
}

// --- Authorization headers that do not carry the pair ---------------------------------

const wrongAuthorization: fc.Arbitrary<{ what: string; authorization: string | null }> = fc
  .oneof(
    fc.record({ user: fc.string({ maxLength: 40 }), password: fc.string({ maxLength: 60 }) }).map(({ user, password }) => ({ what: "any pair", authorization: basic(user, password) })),
    fc.string({ maxLength: 60 }).map((password) => ({ what: "wrong password", authorization: basic(TEST_INSTALLER.user, password) })),
    fc.string({ maxLength: 40 }).map((user) => ({ what: "wrong user", authorization: basic(user, TEST_INSTALLER.password) })),
    fc
      .record({ at: fc.nat({ max: TEST_INSTALLER.password.length - 1 }), char: fc.string({ minLength: 1, maxLength: 1 }) })
      .map(({ at, char }) => ({
        what: "password with one character changed",
        authorization: basic(TEST_INSTALLER.user, TEST_INSTALLER.password.slice(0, at) + char + TEST_INSTALLER.password.slice(at + 1)),
      })),
    fc.constantFrom(
      { what: "swapped", authorization: basic(TEST_INSTALLER.password, TEST_INSTALLER.user) },
      { what: "no colon", authorization: `Basic ${b64(TEST_INSTALLER.user + TEST_INSTALLER.password)}` },
      { what: "user only", authorization: `Basic ${b64(TEST_INSTALLER.user)}` },
      { what: "password only", authorization: `Basic ${b64(`:${TEST_INSTALLER.password}`)}` },
      { what: "another separator", authorization: `Basic ${b64(`${TEST_INSTALLER.user};${TEST_INSTALLER.password}`)}` },
      { what: "double colon", authorization: `Basic ${b64(`${TEST_INSTALLER.user}::${TEST_INSTALLER.password}`)}` },
      { what: "trailing newline", authorization: `Basic ${b64(`${RIGHT_PAIR}\n`)}` },
      { what: "not encoded", authorization: `Basic ${RIGHT_PAIR}` },
      { what: "no header", authorization: null },
      { what: "empty", authorization: "" },
      { what: "scheme only", authorization: "Basic" },
      { what: "huge", authorization: `Basic ${"QUFB".repeat(600)}` },
    ),
    fc
      .constantFrom("Bearer", "Digest", "Token", "Basicc", "Basic:", "NTLM", "")
      .map((scheme) => ({ what: `scheme "${scheme}"`, authorization: `${scheme} ${b64(RIGHT_PAIR)}`.trim() })),
    fc.string({ maxLength: 200 }).map((rest) => ({ what: "Basic and any text", authorization: `Basic ${rest}` })),
    fc.base64String({ maxLength: 120 }).map((encoded) => ({ what: "Basic and any base64", authorization: `Basic ${encoded}` })),
    fc
      .record({ at: fc.nat({ max: RIGHT.length - 7 }), char: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_!.") })
      .map(({ at, char }) => {
        const encoded = RIGHT.slice(6);
        return { what: "the right header with one character changed", authorization: `Basic ${encoded.slice(0, at) + char + encoded.slice(at + 1)}` };
      }),
  )
  // The right pair in another spelling (padding left off, a changed padding bit) is not a forgery.
  .filter(({ authorization }) => !carriesRightPair(authorization));

// --- the suite ------------------------------------------------------------------------

describe.runIf(postgresAvailable())("fuzzing Commerce7 activation and deactivation", { timeout: FUZZ_TIMEOUT_MS }, () => {
  let shared: SharedPostgresApp;
  let installedCookie: string;

  async function send(call: Omit<InstallCall, "what">): Promise<Response | null> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (call.authorization !== null) headers.Authorization = call.authorization;
    try {
      return await fetch(`${shared.app.url}/${call.call}/commerce7`, { method: "POST", headers, body: padded(call.body, call.padTo) });
    } catch (error) {
      // A header value no HTTP client can send (fetch refuses it before the app sees it).
      if (error instanceof TypeError && /header/i.test(String(error.message))) return null;
      throw error;
    }
  }

  async function installedTenantWorks(): Promise<boolean> {
    const res = await fetch(`${shared.app.url}/app?_data=routes%2Fapp._index`, { headers: { Cookie: installedCookie } });
    await res.body?.cancel();
    return res.status === 200;
  }

  beforeAll(async () => {
    // Thousands of calls from one IP, many for one tenant: the install rate limits have their own tests.
    shared = await startAppOnPostgres({ ...COMMERCE7_TEST_ENV, RATE_LIMIT_INSTALL_CLIENT: "off" });
    const activated = await send({
      call: "install",
      authorization: RIGHT,
      body: JSON.stringify({ tenantId: INSTALLED, user: { id: "u1", email: "owner@winery.example", firstName: "Olive", lastName: "Owner" } }),
    });
    expect(activated?.status).toBe(200);
    installedCookie = (await signInDirect(shared.store, { externalId: INSTALLED })).cookie;
    expect(await installedTenantWorks()).toBe(true);
  });
  afterAll(async () => {
    await shared?.close();
  });

  it("the right pair and a valid body activate and deactivate a tenant (the fuzzers could fail)", async () => {
    const tenant = "fz-control";
    const install = await send({ call: "install", authorization: RIGHT, body: JSON.stringify({ tenantId: tenant, user: { email: "a@b.com", firstName: "A", lastName: "" } }) });
    expect(install?.status).toBe(200);
    expect((await databaseState(shared.sql, [tenant])).clients).toMatchObject([{ install_state: "installed" }]);
    const uninstall = await send({ call: "uninstall", authorization: RIGHT, body: JSON.stringify({ tenantId: tenant }) });
    expect(uninstall?.status).toBe(200);
    expect((await databaseState(shared.sql, [tenant])).clients).toMatchObject([{ install_state: "uninstalled" }]);
  });

  it("calls without the Dev Center's pair get 401 and install or remove nothing", async () => {
    const before = await databaseState(shared.sql);
    await fuzz(
      "commerce7Auth",
      fc.record({ auth: wrongAuthorization, call: fc.constantFrom<Call>("install", "uninstall"), tenant: tenantId }).map(
        ({ auth, call, tenant }): InstallCall => ({
          what: auth.what,
          call,
          authorization: auth.authorization,
          // A deactivation of the installed tenant, an activation of a new one.
          body: JSON.stringify(
            call === "install"
              ? { tenantId: tenant, user: { id: "u", email: "x@winery.example", firstName: "X", lastName: "Y" } }
              : { tenantId: INSTALLED, user: { id: "u1" } },
          ),
        }),
      ),
      async (input) => {
        const res = await send(input);
        if (!res) return;
        const text = await res.text();
        expect(res.status, `${input.what}: ${text}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
        expect(JSON.parse(text)).toMatchObject({ error: "unauthorized" });
      },
    );
    expect(await databaseState(shared.sql)).toEqual(before);
    expect(await installedTenantWorks()).toBe(true);
    expectNoServerErrors(shared.app);
  });

  it("with the pair, generated bodies get 200, 400 naming the broken field, or 413; never 5xx", async () => {
    const before = await databaseState(shared.sql, [INSTALLED]);
    await fuzz(
      "commerce7Bodies",
      fc.constantFrom<Call>("install", "uninstall").chain((call) => bodies(call).map((b): BodyCall => ({ ...b, authorization: RIGHT }))),
      async (input) => {
        const res = await send(input);
        if (!res) throw new Error("the right pair must be sendable");
        const text = await res.text();
        const detail = `${input.call} ${input.what}: ${text}`;
        if (input.expect.status === "200 or 400") {
          expect([200, 400], detail).toContain(res.status);
          return;
        }
        expect(res.status, detail).toBe(input.expect.status);
        // A field whose own name PostgreSQL cannot store is named with "?" in its place (the answer never echoes NUL).
        const named = typeof input.expect.field === "string" ? input.expect.field.split("\u0000").join("?").replace(/\p{Cs}/gu, "?") : input.expect.field;
        if (input.expect.status === 400) expect(JSON.parse(text), detail).toMatchObject({ error: "invalid_body", field: named });
        if (input.expect.status === 200) expect(JSON.parse(text)).toMatchObject({ ok: true });
      },
    );
    expect(await databaseState(shared.sql, [INSTALLED])).toEqual(before);
    expect(await installedTenantWorks()).toBe(true);
    expectNoServerErrors(shared.app);
  });
});
