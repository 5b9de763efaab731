/**
 * Hostile input to EVERY built route, with every method, on PGlite and on
 * PostgreSQL, as an attacker with the source would send it:
 *   - bodies past every limit, declared and chunked (memory must stay flat:
 *     the app's resident memory is read from /proc while they stream);
 *   - NUL, unpaired surrogates and invalid UTF-8 in every query parameter,
 *     path segment, header and body field (JSON, URL-encoded, multipart);
 *   - deeply nested and huge JSON;
 *   - methods a route does not take, and cross-site requests with `?_data`.
 * Every answer must be a 4xx (never a 5xx, never a dropped connection), and
 * in the shape its client reads: `{ error, message }` JSON for data and API
 * requests, a page for documents. The routes come from the build
 * (tests/support/routes.ts), so a new route is covered the day it is added.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { basic, COMMERCE7_TEST_ENV, commerce7Sandbox, TEST_INSTALLER } from "../support/commerce7";
import { postgresAvailable } from "../support/databases";
import { chunks, inPool, MB, residentBytes, send, sendRawBytes, type RawRequest, type RawResponse } from "../support/raw-http";
import { routesWithHandlers, urlPath, type BuiltRoute } from "../support/routes";
import { startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";
import { expectNoServerErrors } from "../fuzz/http";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

/** Percent-encoded values that decode to NUL, or do not decode as UTF-8 (an encoded surrogate, an overlong NUL, a cut sequence). */
const HOSTILE_QUERY_VALUES = ["%00", "a%00b", "%FF", "%ED%A0%80", "%C0%80", "%E2%82"];
/** Header values as raw bytes (node:http sends them as Latin-1): invalid UTF-8, an encoded surrogate, a C1 control. */
const HOSTILE_HEADER_VALUES = ["\u00ff\u00fe", "\u00ed\u00a0\u0080", "a\u0080b"];
/** JSON string contents PostgreSQL cannot store: NUL and unpaired surrogates, as JSON escapes. */
const HOSTILE_JSON_ESCAPES = ["\\u0000", "a\\u0000b", "\\ud800", "x\\udfff"];
/** Bytes inside a JSON string that are not UTF-8 (a lone continuation byte, an encoded surrogate). */
const HOSTILE_BYTES = [Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x00])];

const HEADERS_TO_POISON = [
  "User-Agent",
  "Authorization",
  "Cookie",
  "Origin",
  "Referer",
  "Accept",
  "Accept-Language",
  "Content-Type",
  "X-Forwarded-For",
  "X-Forwarded-Host",
  "X-Forwarded-Proto",
  "X-Shopify-Hmac-Sha256",
  "X-Shopify-Shop-Domain",
  "X-Shopify-Topic",
  "X-Shopify-Webhook-Id",
  "X-Shopify-Triggered-At",
  "Sec-Fetch-Site",
  "Tenant",
];

/** Entry and install parameters as the platforms send them: each is poisoned in turn, the others kept plausible. */
const QUERY_BASES: Record<string, string>[] = [
  { tenantId: "hostile-tenant", account: "a.b.c", adminUITheme: "dark" },
  { embedded: "1", shop: "hostile.myshopify.com", host: "aG9zdGlsZQ", id_token: "a.b.c", hmac: "00", timestamp: "1" },
  { shop: "hostile.myshopify.com", code: "c", state: "s", hmac: "00", host: "aG9zdGlsZQ", timestamp: "1" },
  { reason: "expired", platform: "commerce7", tenant: "t", theme: "dark", _data: "routes/_index" },
];

/** A JSON body template naming every field the app's bodies have (activation, handoff, forms, sandbox controls). */
const BODY_FIELDS: Record<string, string> = {
  tenantId: "hostile-tenant",
  "user.id": "u-1",
  "user.email": "owner@hostile.example",
  "user.firstName": "Olive",
  "user.lastName": "Owner",
  "organization-name": "Hostile Estate",
  organizationName: "Hostile Estate",
  code: "c0de",
  intent: "revoke",
  sessionId: "00000000-0000-0000-0000-000000000000",
  csrf: "x",
  shop: "hostile.myshopify.com",
  topic: "app/uninstalled",
  action: "open",
};

function jsonBody(fields: Record<string, string>, rawValue?: { field: string; bytes: Buffer }): Buffer {
  const user: Record<string, string> = {};
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key.startsWith("user.")) user[key.slice(5)] = value;
    else top[key] = value;
  }
  top.user = user;
  top.advanceSeconds = 0;
  const text = JSON.stringify(top);
  if (!rawValue) return Buffer.from(text);
  const marker = JSON.stringify(rawValue.field.startsWith("user.") ? fields[rawValue.field] : fields[rawValue.field]);
  const at = text.indexOf(marker);
  return Buffer.concat([Buffer.from(text.slice(0, at + 1)), rawValue.bytes, Buffer.from(text.slice(at + 1))]);
}

interface Target {
  route: BuiltRoute;
  path: string;
  /** A page (the route renders): documents get HTML; otherwise an API route. */
  page: boolean;
}

interface Sent {
  what: string;
  request: RawRequest;
  /** Is this a data request (JSON answers expected)? */
  data: boolean;
  page: boolean;
  /** The sandbox imitates Shopify's and Commerce7's own answers: no 5xx, but their shapes, not ours. */
  sandbox?: boolean;
}

const isDataRequest = (request: RawRequest) => {
  const h = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const accept = h.accept ?? "";
  return /[?&]_data(=|&|$)/.test(request.path) || "authorization" in h || (accept.includes("application/json") && !accept.includes("text/html"));
};

/** No 5xx; an error in the shape its client reads. Returns a description of what is wrong, or null. */
function problemWith(sent: Sent, res: RawResponse): string | null {
  if (res.status >= 500 || res.status < 100) return `status ${res.status}: ${res.body.slice(0, 200)}`;
  if (res.status < 400 || sent.request.method === "HEAD" || sent.sandbox) return null;
  const type = String(res.headers["content-type"] ?? "");
  if (sent.data || !sent.page) {
    if (type.includes("text/html") && !sent.data) return null; // an API route may answer a browser with a page
    if (!type.includes("application/json")) return `${res.status} as ${type || "no content type"}, not JSON`;
    let body: { error?: unknown; message?: unknown };
    try {
      body = JSON.parse(res.body);
    } catch {
      return `${res.status} with a body that is not JSON`;
    }
    if (typeof body.error !== "string" || typeof body.message !== "string") return `${res.status} JSON without { error, message }: ${res.body.slice(0, 200)}`;
    return null;
  }
  return type.includes("text/html") ? null : `${res.status} to a document as ${type || "no content type"}, not a page`;
}

async function sendAll(app: RunningApp, batch: Sent[]): Promise<string[]> {
  const results = await inPool(
    batch.map((sent) => async () => {
      try {
        const problem = problemWith(sent, await send(app.url, sent.request));
        return problem ? `${sent.what}: ${problem}` : null;
      } catch (error) {
        return `${sent.what}: ${(error as Error).message}`;
      }
    }),
    6,
  );
  return results.filter((r): r is string => r !== null);
}

const backends = [
  { name: "PGlite", available: true, everything: true },
  { name: "PostgreSQL", available: postgresAvailable(), everything: false },
];

/**
 * The requests that reach SQL (parameters, headers, body fields) run on both
 * backends; the ones that do not (sizes, nesting, methods, memory) once, on
 * PGlite. Sets of hostile values rotate over the fields, so each field meets
 * several kinds across routes while the suite stays within its time.
 */
describe.each(backends)("hostile input to every route ($name)", async ({ name, available, everything }) => {
  const { routes, withHandlers } = await routesWithHandlers();
  const targets: Target[] = withHandlers.map((route) => ({
    route,
    path: urlPath(routes, route) + (route.index ? "?index" : ""),
    page: route.module.default != null,
  }));
  const readers = targets.filter((t) => t.route.module.action);
  const withQuery = (path: string, query: string) => (path.includes("?") ? `${path}&${query}` : `${path}?${query}`);
  const pick = <T,>(list: T[], i: number) => list[i % list.length];

  let app: RunningApp;
  let shared: SharedPostgresApp | null = null;
  /** A signed-in merchant (Commerce7 entry through the sandbox): the cookie and the form token. */
  let cookie = "";
  let csrf = "";
  const installAuth = basic(TEST_INSTALLER.user, TEST_INSTALLER.password);
  // A loaded machine must not turn the sandbox's account call into a 503.
  const env = { ...COMMERCE7_TEST_ENV, COMMERCE7_API_TIMEOUT_MS: "5000", LOG_LEVEL: "warn" };

  beforeAll(async () => {
    if (!available) return;
    if (name === "PostgreSQL") {
      shared = await startAppOnPostgres(env);
      app = shared.app;
    } else {
      app = await startApp(env);
    }
    const sandbox = commerce7Sandbox(app);
    await sandbox.activate("hostile-home");
    const { response } = await sandbox.enter({ tenantId: "hostile-home" });
    expect(response.status, "signed in through the sandbox entry").toBe(200);
    cookie = (response.headers.get("set-cookie") ?? "").split(";")[0];
    const layout = await fetch(`${app.url}/app?_data=routes%2Fapp`, { headers: { Cookie: cookie } });
    csrf = ((await layout.json()) as { csrfToken: string }).csrfToken;
  });
  afterAll(async () => {
    if (shared) await shared.close();
    else await app?.stop();
  });

  /** Credentials that get a body read: the install pair for the Basic-auth routes, the session elsewhere. */
  function credentials(target: Target): Record<string, string> {
    return /^routes\/(un)?install\.commerce7$/.test(target.route.id)
      ? { Authorization: installAuth }
      : { Cookie: cookie, "Sec-Fetch-Site": "same-origin" };
  }
  const sent = (target: Target, what: string, request: RawRequest, data = isDataRequest(request)): Sent => ({
    what: `${what} (${target.route.id})`,
    request,
    data,
    page: target.page,
    sandbox: target.route.id.startsWith("routes/sandbox."),
  });

  it.runIf(available)("finds the app's routes (the suite is not vacuous)", () => {
    const ids = targets.map((t) => t.route.id);
    expect(ids).toEqual(expect.arrayContaining(["routes/app", "routes/webhooks.shopify", "routes/install.commerce7", "routes/auth.session-handoff", "routes/healthz"]));
  });

  it.runIf(available && everything)("a chunked body past every limit, with every method: a 4xx answer the client reads", { timeout: 90_000 }, async () => {
    const batch: Sent[] = [];
    targets.forEach((target, t) => {
      METHODS.forEach((method, m) => {
        const data = (t + m) % 2 === 0;
        const request: RawRequest = {
          method,
          path: target.path,
          headers: { ...credentials(target), "Content-Type": "application/json", Accept: data ? "application/json" : "text/html" },
          body: chunks(1.2 * MB),
        };
        batch.push(sent(target, `${method} ${target.path} chunked 1.2 MB`, request));
      });
    });
    expect(await sendAll(app, batch)).toEqual([]);
  });

  it.runIf(available && everything)("memory stays flat while bodies far past the limits stream in (RSS of the app process)", { timeout: 90_000 }, async () => {
    // The routes that read bodies (the sandbox's aside), 32 MB each, three at a time: none may hold one.
    const bodyReaders = readers.filter((t) => !t.route.id.startsWith("routes/sandbox."));
    const pid = app.process.pid as number;
    const before = await residentBytes(pid);
    let peak = before ?? 0;
    const sampler = setInterval(() => {
      void residentBytes(pid).then((rss) => (peak = Math.max(peak, rss ?? 0)));
    }, 20);
    const problems = await inPool(
      bodyReaders.map((target) => async () => {
        const one = sent(target, `POST ${target.path} chunked 32 MB`, {
          method: "POST",
          path: target.path,
          headers: { ...credentials(target), "Content-Type": "application/json" },
          body: chunks(32 * MB),
        });
        const res = await send(app.url, one.request);
        return problemWith(one, res) ?? (res.status < 300 ? `${one.what}: accepted a 32 MB body` : null);
      }),
      3,
    );
    clearInterval(sampler);
    expect(problems.filter(Boolean)).toEqual([]);
    expect(bodyReaders.length).toBeGreaterThanOrEqual(6);
    if (before !== null) {
      // Holding one body would add 32 MB (three in flight: 96 MB, twice that as text).
      expect((peak - before) / MB, "resident memory growth (MB) while 32 MB bodies streamed in").toBeLessThan(24);
    }
  });

  it.runIf(available && everything)("bodies declared past the limit (Content-Length), huge JSON, deeply nested JSON: 4xx, never a reset or a stack overflow", { timeout: 90_000 }, async () => {
    const batch: Sent[] = [];
    const huge = Buffer.from(JSON.stringify({ tenantId: "hostile-tenant", padding: "x".repeat(900 * 1024) }));
    const nested = (depth: number) =>
      `{"tenantId":"hostile-tenant","user":{"email":"a@b.example","firstName":"A","lastName":"B"},"deep":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    const bodies: Array<[string, Buffer | string]> = [
      ["3 MB declared", Buffer.alloc(3 * MB, 0x61)],
      ["900 KB of JSON", huge],
      ["arrays nested 2,000 deep", nested(2_000)],
      ["arrays nested 100,000 deep", nested(100_000)],
      ["objects nested 2,000 deep", objects(2_000)],
      ["objects nested 20,000 deep", objects(20_000)],
    ];
    readers.forEach((target, t) => {
      bodies.forEach(([what, body], b) => {
        const accept = (t + b) % 2 === 0 ? "application/json" : "text/html";
        const request: RawRequest = { method: "POST", path: target.path, headers: { ...credentials(target), "Content-Type": "application/json", Accept: accept }, body };
        batch.push(sent(target, `POST ${target.path} ${what} (${accept})`, request));
      });
    });
    expect(await sendAll(app, batch)).toEqual([]);
  });

  it.runIf(available)("NUL, unpaired surrogates and invalid UTF-8 in every query parameter and path segment", { timeout: 90_000 }, async () => {
    const batch: Sent[] = [];
    const params = Object.keys(Object.assign({}, ...QUERY_BASES)).filter((k) => k !== "_data");
    targets.forEach((target, t) => {
      HOSTILE_QUERY_VALUES.forEach((bad, v) => {
        const accept = (t + v) % 2 === 0 ? "application/json" : "text/html";
        const headers: Record<string, string> = { ...credentials(target), Accept: accept };
        // Every parameter the app reads, all poisoned at once.
        const all = params.map((k) => `${k}=${bad}`).join("&");
        const method = v % 3 === 0 ? "POST" : "GET";
        batch.push(sent(target, `${method} ${target.path} every parameter ${bad}`, { method, path: withQuery(target.path, all), headers }));
      });
      // A data request naming the route, poisoned.
      const dataPath = withQuery(target.path, `_data=${encodeURIComponent(target.route.id)}${pick(HOSTILE_QUERY_VALUES, t)}`);
      batch.push(sent(target, `GET ${dataPath}`, { method: "GET", path: dataPath, headers: credentials(target) }, true));
      // Each path segment in turn, and one more segment.
      const [pathname, search] = target.path.split("?");
      const segments = pathname.split("/").filter(Boolean);
      const variants = [...segments.map((_, i) => segments.map((s, j) => (i === j ? `${s}${pick(HOSTILE_QUERY_VALUES, t + i)}` : s))), [...segments, pick(HOSTILE_QUERY_VALUES, t + 5)]];
      variants.forEach((variant, i) => {
        const path = `/${variant.join("/")}${search ? `?${search}` : ""}`;
        const accept = (t + i) % 2 === 0 ? "application/json" : "text/html";
        batch.push(sent(target, `GET ${path}`, { method: "GET", path, headers: { ...credentials(target), Accept: accept } }));
      });
    });
    // The entry and install parameters, one poisoned at a time, the others plausible, on the routes that read them.
    let n = 0;
    for (const path of ["/app", "/app/settings", "/install/shopify", "/install/shopify/callback", "/"]) {
      const target = targets.find((t) => t.path.split("?")[0] === path) as Target;
      for (const base of QUERY_BASES) {
        for (const param of Object.keys(base)) {
          const bad = pick(HOSTILE_QUERY_VALUES, n++);
          const query = Object.entries(base)
            .map(([k, v]) => `${k}=${encodeURIComponent(v)}${k === param ? bad : ""}`)
            .join("&");
          const accept = n % 2 === 0 ? "application/json" : "text/html";
          batch.push(sent(target, `GET ${path}?${query} (${accept})`, { method: "GET", path: `${path}?${query}`, headers: { Accept: accept } }));
        }
      }
    }
    expect(await sendAll(app, batch)).toEqual([]);
  });

  it.runIf(available)("NUL, surrogates and invalid UTF-8 in every header", { timeout: 90_000 }, async () => {
    const batch: Sent[] = [];
    targets.forEach((target, t) => {
      // A body is read (and its headers matter most) where the route has an action.
      [target.route.module.action ? "POST" : "GET"].forEach((method, m) => {
        const base = (): Record<string, string> => ({ ...credentials(target), Accept: "application/json", "Content-Type": "application/json" });
        const body = method === "POST" ? jsonBody({ ...BODY_FIELDS, csrf: "x" }) : undefined;
        const poisoned = (header: string, bad: string) => (header === "Cookie" ? `${cookie}${bad}` : header === "Authorization" ? `Bearer ${bad}` : bad);
        // Every header poisoned at once, each kind of value.
        for (const bad of HOSTILE_HEADER_VALUES) {
          const headers = base();
          for (const header of HEADERS_TO_POISON) headers[header] = poisoned(header, bad);
          batch.push(sent(target, `${method} ${target.path} with every header ${JSON.stringify(bad)}`, { method, path: target.path, headers, body }));
        }
        // Each header alone, the others as a real client sends them.
        HEADERS_TO_POISON.forEach((header, h) => {
          const bad = pick(HOSTILE_HEADER_VALUES, t + m + h);
          const headers = { ...base(), [header]: poisoned(header, bad) };
          batch.push(sent(target, `${method} ${target.path} with ${header}: ${JSON.stringify(bad)}`, { method, path: target.path, headers, body }));
        });
      });
    });
    expect(await sendAll(app, batch)).toEqual([]);

    // A NUL byte in a header value: node:http will not send one; the server must refuse it, not crash.
    for (const target of targets.slice(0, 5)) {
      const status = await sendRawBytes(
        app.url,
        Buffer.from(`GET ${target.path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: a\u0000b\r\nConnection: close\r\n\r\n`, "latin1"),
      );
      expect(status, `NUL in User-Agent to ${target.path}`).toMatch(/^HTTP\/1\.1 4\d\d /);
    }
  });

  it.runIf(available)("NUL, unpaired surrogates and invalid UTF-8 in every body field (JSON, URL-encoded, multipart)", { timeout: 90_000 }, async () => {
    const batch: Sent[] = [];
    readers.forEach((target, t) => {
      // Not the form token on /logout: the merchant stays signed in for the other requests.
      const token = target.route.id === "routes/logout" ? "not-the-token" : csrf;
      const fields = { ...BODY_FIELDS, csrf: token };
      const push = (what: string, type: string, body: Buffer) =>
        batch.push(sent(target, `POST ${target.path} ${what}`, { method: "POST", path: target.path, headers: { ...credentials(target), "Content-Type": type, Accept: "application/json" }, body }, true));
      const form = (field: string, bytes: Buffer) =>
        Object.entries(fields)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}${k === field ? [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("") : ""}`)
          .join("&");
      const multipart = (field: string, bytes: Buffer) =>
        Buffer.concat([
          ...Object.entries(fields).map(([k, v]) =>
            Buffer.concat([Buffer.from(`--hostile\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}`), k === field ? bytes : Buffer.alloc(0), Buffer.from("\r\n")]),
          ),
          Buffer.from("--hostile--\r\n"),
        ]);
      Object.keys(fields).forEach((field, f) => {
        const text = jsonBody(fields).toString();
        const at = text.indexOf(JSON.stringify(fields[field as keyof typeof fields]));
        const escape = pick(HOSTILE_JSON_ESCAPES, t + f);
        push(`JSON ${field}=${escape}`, "application/json", Buffer.from(`${text.slice(0, at + 1)}${escape}${text.slice(at + 1)}`));
        const bytes = pick(HOSTILE_BYTES, t + f);
        const hex = bytes.toString("hex");
        switch ((t + f) % 3) {
          case 0:
            push(`JSON ${field} with bytes ${hex}`, "application/json", jsonBody(fields, { field, bytes }));
            break;
          case 1:
            push(`form ${field} with bytes ${hex}`, "application/x-www-form-urlencoded", Buffer.from(form(field, bytes)));
            break;
          default:
            push(`multipart ${field} with bytes ${hex}`, "multipart/form-data; boundary=hostile", multipart(field, bytes));
        }
      });
      // Every field at once, each kind; a key that cannot be stored; a body that is not UTF-8 at all.
      for (const bytes of HOSTILE_BYTES) {
        const all = Object.keys(fields);
        push(`form, every field with ${bytes.toString("hex")}`, "application/x-www-form-urlencoded", Buffer.from(all.map((k) => form(k, bytes).split("&")[all.indexOf(k)]).join("&")));
      }
      push("JSON key with NUL", "application/json", Buffer.from('{"tenantId":"hostile-tenant","a\\u0000b":1,"user":{"email":"a@b.example","firstName":"A","lastName":"B"}}'));
      push("a body of invalid UTF-8", "application/json", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
      push("a text/plain body", "text/plain", Buffer.from("intent=revoke_others"));
    });
    expect(await sendAll(app, batch)).toEqual([]);
  });

  it.runIf(available)("the app logged no error while all of this was sent", () => {
    expectNoServerErrors(app);
  });
});
