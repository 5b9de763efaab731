/**
 * Fuzzing POST /webhooks/shopify over real HTTP (the built app on
 * PostgreSQL). Forged deliveries (no HMAC, a wrong one, one computed over
 * another body or with another secret, the right one mis-encoded or with a
 * character changed) get 401 whatever the body and headers, and change
 * nothing at all (an app/uninstalled among them must not end a session).
 * Deliveries with the right HMAC but a broken body (not JSON, the wrong
 * shape, a body of another topic or shop) or broken headers get 400 (an
 * empty body 401: the library treats it as unsigned) and change nothing
 * either; genuine ones with odd contents are answered 200; a body over
 * 256 KiB gets 413; none is ever answered 5xx.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxShopifyCredentials, sandboxWebhookPayload, SANDBOX_WEBHOOK_TOPICS, type SandboxWebhookTopic } from "~/lib/sandbox/shopify.server";
import { postgresAvailable } from "../support/databases";
import { startAppOnPostgres, type SharedPostgresApp } from "../support/shared-postgres-app";
import { adminIframeSrc, browserGet, cookiesOf, sandboxSessionToken, storeOf } from "../support/shopify";
import { databaseState, expectNoServerErrors } from "./http";
import { anyString, fuzz, FUZZ_TIMEOUT_MS } from "./support";

/** Fixed names (each run has a fresh database and sandbox), so kept regressions mean the same shops. */
const SHOP = "fuzz-hooks.myshopify.com";
const FOREIGN = "fuzz-hooks-foreign.myshopify.com";
/** Receives the genuine deliveries with odd contents. */
const ODD = "fuzz-hooks-odd.myshopify.com";
const SECRET = sandboxShopifyCredentials().apiSecret;
/** The app refuses bodies above 256 KiB before looking at them. */
const MAX_BODY_BYTES = 256 * 1024;

/** One delivery, exactly as sent (its HMAC worked out when it was generated). */
interface Delivery {
  what: string;
  body: string;
  /** Spaces appended up to this many bytes (JSON stays the same JSON). */
  padTo?: number;
  headers: Record<string, string>;
  expect: 200 | 400 | 401 | 413;
}

const sign = (body: string, secret = SECRET, encoding: "base64" | "hex" | "base64url" = "base64") =>
  createHmac("sha256", secret).update(body, "utf8").digest(encoding);

function padded(body: string, padTo?: number): string {
  const size = Buffer.byteLength(body);
  return padTo && padTo > size ? body + " ".repeat(padTo - size) : body;
}

const NAMES = {
  webhooks: { hmac: "X-Shopify-Hmac-Sha256", topic: "X-Shopify-Topic", shop: "X-Shopify-Shop-Domain", version: "X-Shopify-API-Version", id: "X-Shopify-Webhook-Id", triggeredAt: "X-Shopify-Triggered-At" },
  events: { hmac: "shopify-hmac-sha256", topic: "shopify-topic", shop: "shopify-shop-domain", version: "shopify-api-version", id: "shopify-webhook-id", triggeredAt: "shopify-triggered-at" },
};

interface HeaderParts {
  hmac: string | null;
  topic: string | null;
  shop: string | null;
  webhookId: string | null;
  version?: string | null;
  /** Shopify always sends one; default: now. */
  triggeredAt?: string | null;
  style?: keyof typeof NAMES;
}

function headersOf(parts: HeaderParts): Record<string, string> {
  const names = NAMES[parts.style ?? "webhooks"];
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const set = (name: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined) headers[name] = value;
  };
  set(names.hmac, parts.hmac);
  set(names.topic, parts.topic);
  set(names.shop, parts.shop);
  set(names.version, parts.version === undefined ? "2026-07" : parts.version);
  set(names.id, parts.webhookId);
  set(names.triggeredAt, parts.triggeredAt === undefined ? new Date().toISOString() : parts.triggeredAt);
  if (parts.style === "events") headers["shopify-event-id"] = parts.webhookId ?? "event";
  return headers;
}

const payloadOf = (topic: SandboxWebhookTopic, shop: string) => sandboxWebhookPayload(topic, shop);
const topic = fc.constantFrom(...SANDBOX_WEBHOOK_TOPICS);
const webhookId = fc.uuid();
const notJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};

// --- forged: the HMAC is not the one over this body with our secret ------------------

/** Bodies of every kind: a topic's real body, any JSON, any text, empty, too large. */
const anyBody: fc.Arbitrary<{ body: string; padTo?: number }> = fc.oneof(
  fc.record({ topic, shop: fc.constantFrom(SHOP, FOREIGN) }).map(({ topic: t, shop }) => ({ body: JSON.stringify(payloadOf(t, shop)) })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ body: JSON.stringify(value) })),
  fc.string({ maxLength: 300 }).map((body) => ({ body })),
  fc.string({ unit: "binary", maxLength: 100 }).map((body) => ({ body })),
  fc.constant({ body: "" }),
  topic.map((t) => ({ body: JSON.stringify(payloadOf(t, SHOP)), padTo: MAX_BODY_BYTES + 1 })),
);

function forgedHmac(body: string): fc.Arbitrary<{ what: string; hmac: string | null }> {
  const right = sign(body);
  return fc
    .oneof(
      fc.constant({ what: "no HMAC", hmac: null }),
      fc.constant({ what: "empty HMAC", hmac: "" }),
      fc.string({ maxLength: 60 }).map((hmac) => ({ what: "any text", hmac })),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => ({ what: "random digest", hmac: Buffer.from(bytes).toString("base64") })),
      fc.string({ minLength: 1, maxLength: 40 }).map((other) => ({ what: "HMAC of another body", hmac: sign(`${body}${other}`) })),
      fc.string({ maxLength: 70 }).filter((s) => s !== SECRET).map((secret) => ({ what: "another secret", hmac: sign(body, secret) })),
      fc.constantFrom<"hex" | "base64url">("hex", "base64url").map((encoding) => ({ what: `right HMAC as ${encoding}`, hmac: sign(body, SECRET, encoding) })),
      fc
        .record({ at: fc.nat({ max: right.length - 1 }), char: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") })
        .map(({ at, char }) => ({ what: "right HMAC, one character changed", hmac: right.slice(0, at) + char + right.slice(at + 1) })),
    )
    .filter(({ hmac }) => hmac !== right);
}

const forgedDelivery: fc.Arbitrary<Delivery> = anyBody.chain(({ body, padTo }) => {
  const sent = padded(body, padTo);
  return fc
    .record({
      hmac: forgedHmac(sent),
      topic: fc.oneof(topic, fc.constantFrom("orders/create", null)),
      shop: fc.constantFrom(SHOP, FOREIGN, "evil.example", null),
      webhookId,
      style: fc.constantFrom<keyof typeof NAMES>("webhooks", "events"),
    })
    .map(({ hmac, topic: t, shop, webhookId: id, style }) => ({
      what: `forged: ${hmac.what}`,
      body,
      padTo,
      headers: headersOf({ hmac: hmac.hmac, topic: t, shop, webhookId: id, style }),
      expect: Buffer.byteLength(sent) > MAX_BODY_BYTES ? 413 : 401,
    }));
});

// --- signed: the right HMAC, something else broken ----------------------------------

/** Each required field of each topic's body, and values of the wrong type (or range) for it. */
const WRONG_VALUES: Record<SandboxWebhookTopic, Record<string, unknown[]>> = {
  "app/uninstalled": { id: ["1", null, true, [], {}], myshopify_domain: [1, null, "", "x".repeat(256), [], {}, FOREIGN] },
  "app/scopes_update": {
    id: ["1", null],
    previous: ["read_products", null, [1], {}, ["read\u0000x"]],
    current: ["read_products", null, [1], [null], {}, ["read\u0000x"], ["\ud800"], ["read_products,write_products"], [""], ["read products"]],
  },
  "customers/data_request": { shop_domain: [null, "", 1, FOREIGN], customer: ["207119551", null, [], { id: "207" }], data_request: [null, 9999, { id: "9999" }, {}] },
  "customers/redact": { shop_domain: [null, "", FOREIGN], customer: ["x", null, { id: "1" }], orders_to_redact: [null, "299938", {}] },
  "shop/redact": { shop_domain: [null, "", [], FOREIGN], shop_id: ["1", null, {}] },
};

function signed(what: string, body: string, parts: Partial<HeaderParts> & { shop?: string | null }, expected: Delivery["expect"], padTo?: number): Delivery {
  const sent = padded(body, padTo);
  return {
    what,
    body,
    padTo,
    headers: headersOf({ hmac: sign(sent), topic: null, shop: SHOP, webhookId: null, ...parts }),
    expect: expected,
  };
}

const brokenDelivery: fc.Arbitrary<Delivery> = fc.oneof(
  // not JSON
  fc
    .record({
      topic,
      body: fc.oneof(
        fc.string({ minLength: 1, maxLength: 200 }).filter(notJson),
        fc.constantFrom("{", '{"id":', "undefined", "NaN", "'x'", '{"id":1}}', "   ", "\u0000"),
      ),
      webhookId,
    })
    .map(({ topic: t, body, webhookId: id }) => signed("not JSON", body, { topic: t, webhookId: id }, 400)),
  // JSON, but not an object
  fc
    .record({ topic, value: fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== "object" || v === null || Array.isArray(v)), webhookId })
    .map(({ topic: t, value, webhookId: id }) => signed("JSON, not an object", JSON.stringify(value), { topic: t, webhookId: id }, 400)),
  // a required field missing or of the wrong type
  topic
    .chain((t) =>
      fc.record({
        topic: fc.constant(t),
        field: fc.constantFrom(...Object.keys(WRONG_VALUES[t])),
        replace: fc.boolean(),
        pick: fc.nat(),
        webhookId,
      }),
    )
    .map(({ topic: t, field, replace, pick, webhookId: id }) => {
      const body = payloadOf(t, SHOP);
      const wrong = WRONG_VALUES[t][field];
      if (replace) body[field] = wrong[pick % wrong.length];
      else delete body[field];
      return signed(`${t}: ${field} ${replace ? JSON.stringify(body[field]) : "missing"}`, JSON.stringify(body), { topic: t, webhookId: id }, 400);
    }),
  // shop/redact must not carry a customer (a customers/redact body relabelled)
  webhookId.map((id) =>
    signed("shop/redact with a customer", JSON.stringify({ ...payloadOf("shop/redact", SHOP), customer: { id: 1 } }), { topic: "shop/redact", webhookId: id }, 400),
  ),
  // one topic's body under another topic
  fc
    .record({ from: topic, to: topic, webhookId })
    .filter(({ from, to }) => from !== to)
    .map(({ from, to, webhookId: id }) => signed(`${from} body as ${to}`, JSON.stringify(payloadOf(from, SHOP)), { topic: to, webhookId: id }, 400)),
  // the body names another shop than the header
  fc
    .record({ topic: fc.constantFrom<SandboxWebhookTopic>("app/uninstalled", "customers/data_request", "customers/redact", "shop/redact"), swap: fc.boolean(), webhookId })
    .map(({ topic: t, swap, webhookId: id }) =>
      signed(`${t}: body and header name different shops`, JSON.stringify(payloadOf(t, swap ? SHOP : FOREIGN)), { topic: t, shop: swap ? FOREIGN : SHOP, webhookId: id }, 400),
    ),
  // a header missing: Shopify always sends them
  fc
    .record({ missing: fc.constantFrom("topic", "shop", "version", "webhookId"), webhookId })
    .map(({ missing, webhookId: id }) =>
      signed(`no ${missing} header`, JSON.stringify(payloadOf("app/uninstalled", SHOP)), { topic: "app/uninstalled", webhookId: id, [missing]: null }, 400),
    ),
  // a triggered-at that is missing, empty, not a time or in the future (not under the HMAC: a replay's favourite)
  fc
    .record({
      topic,
      triggeredAt: fc.oneof(
        fc.constantFrom(null, "", " ", "0", "now", "1e12", "2026-13-45T99:00:00Z", "Sun, 06 Dec 2026 10:00:00 GMT", "2999-01-01T00:00:00Z"),
        fc.string({ maxLength: 40 }).filter((t) => Number.isNaN(Date.parse(t))),
        fc.integer({ min: 10, max: 100_000 }).map((minutes) => new Date(Date.now() + minutes * 60_000).toISOString()),
      ),
      webhookId,
    })
    .map(({ topic: t, triggeredAt, webhookId: id }) =>
      signed(`${t}: triggered at ${JSON.stringify(triggeredAt)}`, JSON.stringify(payloadOf(t, SHOP)), { topic: t, webhookId: id, triggeredAt }, 400),
    ),
  // a shop header that is no shop
  fc
    .record({ shop: fc.constantFrom("evil.example", `${SHOP}.evil.example`, "fuzz hooks.myshopify.com", "-.myshopify.com", "myshopify.com"), webhookId })
    .map(({ shop, webhookId: id }) => signed(`shop header ${shop}`, JSON.stringify(payloadOf("app/uninstalled", SHOP)), { topic: "app/uninstalled", shop, webhookId: id }, 400)),
  // a webhook id longer than any Shopify sends
  fc
    .integer({ min: 256, max: 1000 })
    .map((n) => signed("webhook id too long", JSON.stringify(payloadOf("app/uninstalled", SHOP)), { topic: "app/uninstalled", webhookId: "w".repeat(n) }, 400)),
  // an empty body (the library calls it missing)
  webhookId.map((id) => signed("empty body", "", { topic: "app/uninstalled", webhookId: id }, 401)),
  // a topic the app does not handle: acknowledged, nothing done
  fc
    .record({ topic: fc.constantFrom("orders/create", "App/Uninstalled", "APP_UNINSTALLED", "app/uninstalled/x", "app%2Funinstalled", "shop/redact."), webhookId })
    .map(({ topic: t, webhookId: id }) => signed(`unhandled topic ${t}`, JSON.stringify(payloadOf("app/uninstalled", SHOP)), { topic: t, webhookId: id }, 200)),
  // too large
  fc
    .record({ topic, webhookId })
    .map(({ topic: t, webhookId: id }) => signed("too large", JSON.stringify(payloadOf(t, SHOP)), { topic: t, webhookId: id }, 413, MAX_BODY_BYTES + 1)),
);

/** Any string where the body has a string, any number where it has one (its shop and scopes left alone). */
function oddValues(value: unknown, key: string): fc.Arbitrary<unknown> {
  if (key === "shop_domain" || key === "myshopify_domain") return fc.constant(value);
  if (typeof value === "string") return anyString(40);
  if (typeof value === "number") return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(Number.MAX_SAFE_INTEGER + 2));
  // Access scopes are names like read_products (others are a broken body, above).
  if (key === "previous" || key === "current") return fc.array(fc.stringMatching(/^[a-z_]{1,30}$/), { maxLength: 5 });
  if (Array.isArray(value)) return fc.array(value.length > 0 ? oddValues(value[0], key) : anyString(), { maxLength: 5 });
  if (value && typeof value === "object") {
    return fc.record(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, oddValues(v, k)])));
  }
  return fc.constant(value);
}

const oddDelivery: fc.Arbitrary<Delivery> = fc
  .record({ topic, webhookId })
  .chain(({ topic: t, webhookId: id }) =>
    oddValues(payloadOf(t, ODD), "").map((body) => signed(`${t} with odd contents`, JSON.stringify(body), { topic: t, shop: ODD, webhookId: id }, 200)),
  );

// --- the suite ------------------------------------------------------------------------

describe.runIf(postgresAvailable())("fuzzing Shopify webhooks", { timeout: FUZZ_TIMEOUT_MS }, () => {
  let shared: SharedPostgresApp;
  const cookies: Record<string, string> = {};

  async function install(shop: string) {
    const res = await browserGet(shared.app, await adminIframeSrc(shared.app, storeOf(shop)));
    expect(res.status).toBe(200);
    cookies[shop] = cookiesOf(res);
    await res.body?.cancel();
  }

  async function deliver(delivery: Delivery): Promise<Response> {
    return fetch(`${shared.app.url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: padded(delivery.body, delivery.padTo) });
  }

  async function shopWorks(shop: string): Promise<boolean> {
    const token = await sandboxSessionToken(shared.app, shop);
    const res = await browserGet(shared.app, "/app?_data=routes%2Fapp._index", { bearer: token, accept: "*/*" });
    await res.body?.cancel();
    return res.status === 200;
  }

  beforeAll(async () => {
    shared = await startAppOnPostgres();
    for (const shop of [SHOP, FOREIGN, ODD]) await install(shop);
  });
  afterAll(async () => {
    await shared?.close();
  });

  it("genuine deliveries are applied (the fuzzers could fail)", async () => {
    const gone = "fuzz-hooks-gone.myshopify.com";
    await install(gone);
    const before = await databaseState(shared.sql, [gone]);
    expect(before.appSessions).toHaveLength(1);
    // As Shopify does it: the app's token is revoked, then the delivery comes (the sandbox does both).
    const res = await fetch(`${shared.app.url}/sandbox/shopify/webhooks`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ shop: gone, topic: "app/uninstalled", webhookId: "genuine-1" }),
    });
    expect(await res.json()).toMatchObject({ status: 200 });
    expect((await databaseState(shared.sql, [gone])).appSessions).toEqual([]);
    expect(await shopWorks(gone)).toBe(false);
  });

  it("forged deliveries get 401 (413 when too large) and change nothing", async () => {
    const before = await databaseState(shared.sql);
    await fuzz("webhooksForged", forgedDelivery, async (delivery) => {
      const res = await deliver(delivery);
      const text = await res.text();
      expect(res.status, `${delivery.what}: ${text}`).toBe(delivery.expect);
      if (delivery.expect === 401) expect(JSON.parse(text)).toMatchObject({ error: "invalid_hmac" });
    });
    expect(await databaseState(shared.sql)).toEqual(before);
    expect(await shopWorks(SHOP)).toBe(true);
    expect(await shopWorks(FOREIGN)).toBe(true);
    expectNoServerErrors(shared.app);
  });

  it("signed deliveries with a broken body or headers get 400 and change nothing; odd contents get 200; never 5xx", async () => {
    const before = await databaseState(shared.sql, [SHOP, FOREIGN]);
    await fuzz("webhooksSigned", fc.oneof({ arbitrary: brokenDelivery, weight: 4 }, { arbitrary: oddDelivery, weight: 1 }), async (delivery) => {
      const res = await deliver(delivery);
      const text = await res.text();
      expect(res.status, `${delivery.what}: ${text}`).toBe(delivery.expect);
    });
    expect(await databaseState(shared.sql, [SHOP, FOREIGN])).toEqual(before);
    expect(await shopWorks(SHOP)).toBe(true);
    expect(await shopWorks(FOREIGN)).toBe(true);
    expectNoServerErrors(shared.app);
  });
});
