/**
 * Fuzzing Shopify session tokens over real HTTP (the built app, its Shopify
 * sandbox, PostgreSQL): generated JWTs with at least one flaw each (another
 * algorithm or none, a wrong secret, a wrong or missing `aud`, a `dest` that
 * is not the request's shop or disagrees with `iss`, `exp` past or `nbf`
 * ahead beyond the 10 s tolerance, missing claims, malformed or huge shapes)
 * are refused as App Bridge's `Authorization: Bearer` (401, and the retry
 * header wherever the value looks like a Shopify session token) and as the
 * admin entry's `id_token` (a bounce for a fresh token, or 400), never with
 * a 5xx, and never create, rotate or revoke an app session. The same token
 * builder without flaws is accepted, so the refusals are the flaws' doing.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SANDBOX_API_KEY, sandboxHost, sandboxShopifyCredentials, sandboxSid } from "~/lib/sandbox/shopify.server";
import { postgresAvailable } from "../support/databases";
import { startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";
import { adminIframeSrc, browserGet, cookiesOf, storeOf } from "../support/shopify";
import { fuzz, FUZZ_TIMEOUT_MS } from "./support";
import { databaseState, expectNoServerErrors } from "./http";

/** Fixed names (each run has a fresh database and sandbox), so kept regressions mean the same shops. */
const SHOP = "fuzz-shop.myshopify.com";
const FOREIGN = "fuzz-foreign.myshopify.com";
const USER = "1001";
const SECRET = sandboxShopifyCredentials().apiSecret;

type Digest = "sha256" | "sha384" | "sha512";
type Shape = "jwt" | "two-segments" | "four-segments" | "bad-character" | "header-not-json" | "payload-not-json" | "payload-not-object" | "huge";
type Key = { kind: "app" } | { kind: "none" } | { kind: "other"; secret: string };

/** A session token to build at request time (exp, nbf and iat, when numbers, are seconds from now). */
interface TokenRecipe {
  /** What makes it a token the app must refuse (for the report; empty for a genuine one). */
  flaws: string[];
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  key: Key;
  digest: Digest;
  shape: Shape;
  bad?: { char: string; at: number };
}

interface Flaw {
  flaw: string;
  header?: Record<string, unknown>;
  removeHeader?: string[];
  claims?: Record<string, unknown>;
  remove?: string[];
  key?: Key;
  digest?: Digest;
  shape?: Shape;
  bad?: { char: string; at: number };
}

function genuineRecipe(shop: string, noise: Noise = { extra: {}, typ: "JWT", audList: false }): TokenRecipe {
  const header: Record<string, unknown> = { alg: "HS256" };
  if (noise.typ !== null) header.typ = noise.typ;
  if (noise.kid !== undefined) header.kid = noise.kid;
  return {
    flaws: [],
    header,
    claims: {
      ...noise.extra,
      iss: `https://${shop}/admin`,
      dest: `https://${shop}`,
      aud: noise.audList ? ["another-app", SANDBOX_API_KEY] : SANDBOX_API_KEY,
      sub: USER,
      exp: 60,
      nbf: 0,
      iat: 0,
      jti: "fuzz",
      sid: sandboxSid(shop, USER),
    },
    key: { kind: "app" },
    digest: "sha256",
    shape: "jwt",
  };
}

function withFlaws(recipe: TokenRecipe, flaws: Flaw[]): TokenRecipe {
  const next = structuredClone(recipe);
  for (const f of flaws) {
    next.flaws.push(f.flaw);
    Object.assign(next.header, f.header);
    for (const name of f.removeHeader ?? []) delete next.header[name];
    Object.assign(next.claims, f.claims);
    for (const name of f.remove ?? []) delete next.claims[name];
    if (f.key) next.key = f.key;
    if (f.digest) next.digest = f.digest;
    if (f.shape) next.shape = f.shape;
    if (f.bad) next.bad = f.bad;
  }
  return next;
}

const b64 = (text: string) => Buffer.from(text).toString("base64url");

function buildToken(recipe: TokenRecipe): string {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { ...recipe.claims };
  for (const name of ["exp", "nbf", "iat"]) {
    if (typeof claims[name] === "number") claims[name] = nowSeconds + (claims[name] as number);
  }
  if (recipe.shape === "huge") claims.padding = "x".repeat(6000);
  const headerJson = JSON.stringify(recipe.header);
  const claimsJson = JSON.stringify(claims);
  const header = b64(recipe.shape === "header-not-json" ? headerJson.slice(0, -1) : headerJson);
  const payload = b64(
    recipe.shape === "payload-not-json" ? claimsJson.slice(0, -1) : recipe.shape === "payload-not-object" ? `[${claimsJson}]` : claimsJson,
  );
  const input = `${header}.${payload}`;
  const secret = recipe.key.kind === "app" ? SECRET : recipe.key.kind === "other" ? recipe.key.secret : null;
  const signature = secret === null ? "" : createHmac(recipe.digest, secret).update(input).digest("base64url");
  const token = `${input}.${signature}`;
  switch (recipe.shape) {
    case "two-segments":
      return input;
    case "four-segments":
      return `${token}.${signature}`;
    case "bad-character": {
      // Never at either end: HTTP strips surrounding whitespace from header values.
      const bad = recipe.bad ?? { char: "!", at: 0.5 };
      const at = 1 + Math.floor(bad.at * (token.length - 2));
      return token.slice(0, at) + bad.char + token.slice(at);
    }
    default:
      return token;
  }
}

/** Does the app see this as a Shopify session token (then a refused bearer gets the retry header)? */
function shapedLikeSessionToken(recipe: TokenRecipe, token: string): boolean {
  return recipe.shape === "jwt" && typeof recipe.claims.dest === "string" && token.length <= 4000;
}

// --- generators -------------------------------------------------------------------

interface Noise {
  extra: Record<string, unknown>;
  typ: string | null;
  kid?: string;
  audList: boolean;
}

const RESERVED = new Set(["iss", "dest", "aud", "sub", "exp", "nbf", "iat", "jti", "sid", "padding"]);

/** Variations a genuine token may have: extra claims, header fields, `aud` as a list holding our key. */
const noise: fc.Arbitrary<Noise> = fc.record(
  {
    extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !RESERVED.has(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    typ: fc.constantFrom("JWT", null, "at+jwt"),
    kid: fc.string({ maxLength: 20 }),
    audList: fc.boolean(),
  },
  { requiredKeys: ["extra", "typ", "audList"] },
);

const seconds = fc.integer({ min: 15, max: 2_000_000_000 }); // beyond the 10 s tolerance, whatever the latency

/** One thing wrong with a token; each leaves it wrong whatever else is changed after it. */
function flaw(shop: string, foreign: string): fc.Arbitrary<Flaw> {
  return fc.oneof(
    // the algorithm
    fc
      .constantFrom<[string, Digest]>(["HS384", "sha384"], ["HS512", "sha512"], ["RS256", "sha256"], ["ES256", "sha256"], ["PS256", "sha256"], ["hs256", "sha256"], ["HS256 ", "sha256"], ["", "sha256"])
      .map(([alg, digest]) => ({ flaw: `alg ${JSON.stringify(alg)}`, header: { alg }, digest })),
    fc
      .record({ alg: fc.constantFrom("none", "None", "NONE"), unsigned: fc.boolean() })
      .map(({ alg, unsigned }): Flaw => ({ flaw: `alg ${alg}`, header: { alg }, ...(unsigned ? { key: { kind: "none" } } : {}) })),
    fc.constant<Flaw>({ flaw: "no alg", removeHeader: ["alg"] }),
    fc.constantFrom(null, 256, ["HS256"]).map((alg) => ({ flaw: "alg not a string", header: { alg } })),
    // the secret
    fc
      .oneof(
        fc.string({ maxLength: 80 }),
        fc
          .record({ at: fc.nat({ max: SECRET.length - 1 }), char: fc.constantFrom(..."0123456789abcdef") })
          .map(({ at, char }) => SECRET.slice(0, at) + char + SECRET.slice(at + 1)),
        fc.constantFrom(SECRET.slice(0, -1), `${SECRET}0`, SECRET.toUpperCase(), SANDBOX_API_KEY, ""),
      )
      .filter((secret) => secret !== SECRET)
      .map((secret): Flaw => ({ flaw: "wrong secret", key: { kind: "other", secret } })),
    // the audience
    fc.constant<Flaw>({ flaw: "no aud", remove: ["aud"] }),
    fc
      .oneof(fc.string({ maxLength: 40 }), fc.constantFrom<unknown>(null, 0, [], ["another-app"], { aud: SANDBOX_API_KEY }, SANDBOX_API_KEY.toUpperCase(), `${SANDBOX_API_KEY} `))
      .filter((aud) => aud !== SANDBOX_API_KEY)
      .map((aud) => ({ flaw: "wrong aud", claims: { aud } })),
    // the shop: another (installed) shop's token, dest and iss disagreeing, not a shop at all
    fc.constant<Flaw>({
      flaw: "a foreign shop's token",
      claims: { dest: `https://${foreign}`, iss: `https://${foreign}/admin`, sid: sandboxSid(foreign, USER) },
    }),
    fc
      .constantFrom<Record<string, unknown>>(
        { iss: `https://${foreign}/admin` },
        { dest: `https://${foreign}` },
        { dest: `http://${shop}`, iss: `http://${shop}/admin` },
        { dest: shop, iss: `${shop}/admin` },
        { dest: "https://evil.example", iss: "https://evil.example/admin" },
        { dest: `https://${shop}.evil.example`, iss: `https://${shop}.evil.example/admin` },
        { dest: `https://evil.example/${shop}`, iss: `https://evil.example/${shop}/admin` },
        { iss: "https://admin.shopify.com/store/fuzz-shop" },
        { dest: 42 },
        { dest: null },
        { dest: [`https://${shop}`] },
        { iss: 42 },
      )
      .map((claims) => ({ flaw: `dest/iss ${JSON.stringify(claims)}`, claims })),
    fc.constantFrom("dest", "iss").map((name) => ({ flaw: `no ${name}`, remove: [name] })),
    // time
    seconds.map((ago) => ({ flaw: `expired ${ago} s ago`, claims: { exp: -ago, nbf: -ago - 60, iat: -ago - 60 } })),
    seconds.map((ahead) => ({ flaw: `valid only in ${ahead} s`, claims: { nbf: ahead, iat: ahead, exp: ahead + 60 } })),
    fc.constantFrom("exp", "nbf").map((name) => ({ flaw: `no ${name}`, remove: [name] })),
    fc
      .record({ name: fc.constantFrom("exp", "nbf", "iat"), value: fc.constantFrom<unknown>("60", null, true, [60], {}) })
      .map(({ name, value }) => ({ flaw: `${name} not a number`, claims: { [name]: value } })),
    // who
    fc.constantFrom("sub", "sid").map((name) => ({ flaw: `no ${name}`, remove: [name] })),
    fc
      .record({ name: fc.constantFrom("sub", "sid"), value: fc.constantFrom<unknown>("", 1001, null, ["1001"], {}, "10\u000001", "\ud800", "x".repeat(256)) })
      .map(({ name, value }) => ({ flaw: `${name} ${JSON.stringify(value)}`, claims: { [name]: value } })),
    // the shape
    fc
      .constantFrom<Shape>("two-segments", "four-segments", "header-not-json", "payload-not-json", "payload-not-object", "huge")
      .map((shape) => ({ flaw: shape, shape })),
    fc
      .record({ char: fc.constantFrom("+", "/", "=", "!", "~", " ", "%", ".", "\t"), at: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map((bad): Flaw => ({ flaw: `character ${JSON.stringify(bad.char)}`, shape: "bad-character", bad })),
  );
}

/** A token for `shop` with one to three flaws. */
function forgedRecipe(shop: string, foreign: string): fc.Arbitrary<TokenRecipe> {
  return fc
    .record({ noise, flaws: fc.array(flaw(shop, foreign), { minLength: 1, maxLength: 3 }) })
    .map(({ noise: n, flaws }) => withFlaws(genuineRecipe(shop, n), flaws));
}

// --- the suite ------------------------------------------------------------------------

describe.runIf(postgresAvailable())("fuzzing Shopify session tokens", { timeout: FUZZ_TIMEOUT_MS }, () => {
  let shared: SharedPostgresApp;

  beforeAll(async () => {
    // Thousands of entries from one IP and shop: the entry's rate limits have their own tests.
    shared = await startAppOnPostgres({ RATE_LIMIT_ENTRY_IP: "off", RATE_LIMIT_ENTRY_CLIENT: "off" });
    for (const shop of [SHOP, FOREIGN]) {
      const res = await browserGet(shared.app, await adminIframeSrc(shared.app, storeOf(shop)));
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
  });
  afterAll(async () => {
    await shared?.close();
  });

  const bearer = (path: string, token: string) =>
    fetch(`${shared.app.url}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: "*/*" }, redirect: "manual" });

  function entry(path: string, token: string) {
    const query = new URLSearchParams({ embedded: "1", host: sandboxHost(SHOP), id_token: token, locale: "en", shop: SHOP });
    return browserGet(shared.app, `${path}?${query}`);
  }

  const DATA_PATHS = [
    `/app?shop=${SHOP}&_data=routes%2Fapp._index`,
    `/app/settings?shop=${SHOP}&_data=routes%2Fapp.settings`,
    `/app/sessions?shop=${SHOP}&embedded=1&_data=routes%2Fapp.sessions`,
  ];

  it("the same token builder without flaws is accepted, as bearer and at the entry (the fuzzers could fail)", async () => {
    await fc.assert(
      fc.asyncProperty(noise, fc.constantFrom(...DATA_PATHS), async (n, path) => {
        const res = await bearer(path, buildToken(genuineRecipe(SHOP, n)));
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }),
      { numRuns: 20 },
    );
    const res = await entry("/app", buildToken(genuineRecipe(SHOP)));
    expect(res.status).toBe(200);
    expect(cookiesOf(res)).toMatch(/^__Host-app_session=/);
    await res.body?.cancel();
    // Within the tolerance is still fine.
    const late = genuineRecipe(SHOP);
    late.claims.exp = -5;
    const lateRes = await bearer(DATA_PATHS[0], buildToken(late));
    expect(lateRes.status).toBe(200);
    await lateRes.body?.cancel();
  });

  it("forged bearer tokens get 401 (with the retry header where App Bridge expects it) and touch no session", async () => {
    const before = await databaseState(shared.sql);
    await fuzz(
      "shopifyBearer",
      fc.record({ recipe: forgedRecipe(SHOP, FOREIGN), path: fc.constantFrom(...DATA_PATHS) }),
      async ({ recipe, path }) => {
        const token = buildToken(recipe);
        const res = await bearer(path, token);
        const body = await res.text();
        expect(res.status, body).toBe(401);
        expect(JSON.parse(body)).toMatchObject({ error: "unauthenticated" });
        if (shapedLikeSessionToken(recipe, token)) expect(res.headers.get("x-shopify-retry-invalid-session-request")).toBe("1");
        expect(cookiesOf(res)).toBe("");
      },
    );
    expect(await databaseState(shared.sql)).toEqual(before);
    expectNoServerErrors(shared.app);
  });

  it("forged id_tokens at the admin entry are bounced for a fresh one (or refused), never create a session", async () => {
    const before = await databaseState(shared.sql);
    await fuzz(
      "shopifyEntry",
      fc.record({ recipe: forgedRecipe(SHOP, FOREIGN), path: fc.constantFrom("/app", "/app/settings", "/app/sessions") }),
      async ({ recipe, path }) => {
        const token = buildToken(recipe);
        const res = await entry(path, token);
        const body = await res.text();
        if (token.length > 4096) {
          expect(res.status, body).toBe(400);
        } else {
          expect(res.status, body).toBe(302);
          expect(new URL(res.headers.get("location") ?? "", "https://x.example").pathname).toBe("/auth/shopify/session-token");
        }
        expect(cookiesOf(res)).toBe("");
      },
    );
    expect(await databaseState(shared.sql)).toEqual(before);
    expectNoServerErrors(shared.app);
  });
});
