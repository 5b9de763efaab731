// The production smoke test (scripts/production-install.sh smoke): the built,
// pruned app against a scratch PostgreSQL database, as an operator runs it.
//
//   1. create a scratch database, `npm run db:migrate` it (the release step);
//   2. start loopback stand-ins for Commerce7's API and Shopify's token
//      endpoint and Admin API (Shopify's wire format);
//   3. start `node server.js` with NODE_ENV=production;
//   4. /healthz 200; one Commerce7 install + entry; one Shopify entry
//      (id_token -> token exchange -> app session);
//   5. SIGTERM, then drop the database. Any failure exits non-zero.
//
// Plain JavaScript on production dependencies only: it runs after `npm prune --omit=dev`.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import url from "node:url";
import postgres from "postgres";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");
const ADMIN_URL = process.env.SMOKE_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const API_KEY = "smoke-api-key";
const API_SECRET = randomBytes(24).toString("hex");
const C7 = { appId: "smoke-c7-app", appSecret: randomBytes(24).toString("hex"), user: "smoke-installer", password: randomBytes(24).toString("hex") };
const SHOP = "smoke-test-shop.myshopify.com";
const TENANT = "smoke-winery";
// Commerce7's account token is a JWT; the stand-in accepts this one.
const C7_ACCOUNT = `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from(`{"tenantId":"${TENANT}"}`).toString("base64url")}.${randomBytes(16).toString("base64url")}`;
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

const step = (text) => console.log(`production smoke: ${text}`);
function check(condition, message) {
  if (!condition) throw new Error(message);
}

// --- stand-ins ------------------------------------------------------------------

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}
const origin = (server) => `http://127.0.0.1:${server.address().port}`;
function readJson(req) {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        resolve(null);
      }
    });
  });
}
function send(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

const calls = { shopify: [], commerce7: [] };

/** Shopify: POST /admin/oauth/access_token (token exchange, offline and online) and the Admin GraphQL API. */
async function shopifyStandin(req, res) {
  const shop = req.headers["x-smoke-shop"];
  if (req.method === "POST" && req.url === "/admin/oauth/access_token") {
    const body = await readJson(req);
    const type = String(body?.requested_token_type ?? "").split(":").pop();
    calls.shopify.push(`token_exchange.${type}`);
    if (body?.client_id !== API_KEY || body?.client_secret !== API_SECRET) return send(res, 400, { error: "invalid_client" });
    if (type === "online-access-token") {
      return send(res, 200, {
        access_token: `shpua_${randomBytes(16).toString("hex")}`,
        scope: "read_products",
        expires_in: 86399,
        associated_user_scope: "read_products",
        session: randomBytes(16).toString("hex"),
        account_number: 0,
        associated_user: {
          id: 4242,
          first_name: "Sam",
          last_name: "Sommelier",
          email: "sam@smoke.example",
          account_owner: false,
          locale: "en",
          collaborator: false,
          email_verified: true,
        },
      });
    }
    return send(res, 200, {
      access_token: `shpat_${randomBytes(16).toString("hex")}`,
      scope: "read_products",
      expires_in: 3600,
      refresh_token: `shprt_${randomBytes(16).toString("hex")}`,
      refresh_token_expires_in: 7776000,
    });
  }
  if (req.method === "POST" && /^\/admin\/api\/[^/]+\/graphql\.json$/.test(req.url ?? "")) {
    calls.shopify.push("admin.graphql");
    return send(res, 200, { data: { shop: { name: "Smoke Test Shop", myshopifyDomain: shop } } });
  }
  calls.shopify.push(`other ${req.method} ${req.url}`);
  send(res, 404, { errors: "Not Found" });
}

/** Commerce7: GET /v1/account/user. */
function commerce7Standin(req, res) {
  calls.commerce7.push(`${req.method} ${req.url}`);
  if (req.method === "GET" && req.url === "/v1/account/user" && req.headers.tenant === TENANT && req.headers.authorization === C7_ACCOUNT) {
    return send(res, 200, { id: "c7-user-1", firstName: "Olive", lastName: "Owner", email: "olive@smoke.example" });
  }
  send(res, 401, { message: "Unauthorized" });
}

// --- helpers ----------------------------------------------------------------------------

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}`))));
  });
}

function sessionToken(shop, userId) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const at = Math.floor(Date.now() / 1000);
  const payload = {
    iss: `https://${shop}/admin`,
    dest: `https://${shop}`,
    aud: API_KEY,
    sub: userId,
    exp: at + 60,
    nbf: at - 5,
    iat: at - 5,
    jti: randomBytes(8).toString("hex"),
    sid: randomBytes(16).toString("hex"),
  };
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(payload)}`;
  return `${unsigned}.${createHmac("sha256", API_SECRET).update(unsigned).digest("base64url")}`;
}

async function waitForHealth(base, child) {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before answering /healthz`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("/healthz did not answer 200 within 60 s");
}

// --- the run ---------------------------------------------------------------------------

const dbName = `production_smoke_${process.pid}_${randomBytes(3).toString("hex")}`;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).toString();
const shopify = await listen(shopifyStandin);
const commerce7 = await listen(commerce7Standin);
let server;
let failed = false;
try {
  await admin.unsafe(`create database ${dbName}`);
  const port = await new Promise((resolve) => {
    const probe = http.createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    PORT: String(port),
    APP_URL: "https://app.smoke.example",
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    DATABASE_URL: databaseUrl,
    SHOPIFY_API_KEY: API_KEY,
    SHOPIFY_API_SECRET: API_SECRET,
    COMMERCE7_APP_ID: C7.appId,
    COMMERCE7_APP_SECRET: C7.appSecret,
    COMMERCE7_INSTALL_USER: C7.user,
    COMMERCE7_INSTALL_PASSWORD: C7.password,
    COMMERCE7_API_URL: `${origin(commerce7)}/v1`,
    LOG_LEVEL: "warn",
  };

  step(`migrating the scratch database ${dbName} (npm run db:migrate)`);
  await run("npm", ["run", "--silent", "db:migrate"], env);

  step("starting the server with NODE_ENV=production");
  server = spawn(process.execPath, ["--import", "./scripts/smoke-shopify-loopback.mjs", "server.js"], {
    cwd: root,
    env: { ...env, SMOKE_SHOPIFY_STANDIN_URL: origin(shopify) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const health = await waitForHealth(base, server);
  step(`/healthz ${health.status} ${JSON.stringify(await health.json())}`);

  step("Commerce7: install, then an entry from the admin");
  const install = await fetch(`${base}/install/commerce7`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Basic ${Buffer.from(`${C7.user}:${C7.password}`).toString("base64")}` },
    body: JSON.stringify({ tenantId: TENANT, user: { id: "c7-user-1", email: "olive@smoke.example", firstName: "Olive", lastName: "Owner" }, "organization-name": "Smoke Winery" }),
  });
  check(install.status === 200 || install.status === 201, `Commerce7 install answered ${install.status}: ${await install.text()}`);
  const c7Entry = await fetch(`${base}/app?tenantId=${TENANT}&account=${C7_ACCOUNT}&adminUITheme=light`, {
    headers: { "User-Agent": BROWSER, Accept: "text/html" },
    redirect: "manual",
  });
  const c7Page = await c7Entry.text();
  check(c7Entry.status === 200, `Commerce7 entry answered ${c7Entry.status}: ${c7Page.slice(0, 300)}`);
  check(/app_session=/.test(c7Entry.headers.get("set-cookie") ?? ""), "the Commerce7 entry set no app session cookie");
  check(calls.commerce7.filter((c) => c === "GET /v1/account/user").length === 1, `Commerce7 calls: ${calls.commerce7.join(", ")}`);

  step("Shopify: an entry from the admin (id_token; token exchange on first sight of the shop)");
  const query = new URLSearchParams({ embedded: "1", shop: SHOP, host: Buffer.from(`admin.shopify.com/store/smoke-test-shop`).toString("base64url"), id_token: sessionToken(SHOP, "4242") });
  const shopifyEntry = await fetch(`${base}/app?${query}`, { headers: { "User-Agent": BROWSER, Accept: "text/html" }, redirect: "manual" });
  const shopifyPage = await shopifyEntry.text();
  check(shopifyEntry.status === 200, `Shopify entry answered ${shopifyEntry.status}: ${shopifyPage.slice(0, 300)}`);
  check(/app_session=/.test(shopifyEntry.headers.get("set-cookie") ?? ""), "the Shopify entry set no app session cookie");
  check(shopifyPage.includes("cdn.shopify.com/shopifycloud/app-bridge.js"), "the Shopify page does not load App Bridge from Shopify's CDN");
  check(calls.shopify.includes("token_exchange.offline-access-token"), `Shopify calls: ${calls.shopify.join(", ")}`);
  // SHOPIFY_ONLINE_TOKENS (default on): the staff member's online token names them on the dashboard.
  check(calls.shopify.includes("token_exchange.online-access-token"), `no online token exchange: ${calls.shopify.join(", ")}`);
  check(shopifyPage.includes("Sam Sommelier"), "the dashboard does not name the staff member");
  step(`Shopify calls made: ${calls.shopify.join(", ")}`);

  const direct = postgres(databaseUrl, { max: 1 });
  const [{ count }] = await direct`select count(*)::int as count from app_sessions`;
  await direct.end();
  check(count === 2, `expected 2 app sessions in the database, found ${count}`);
  step("passed");
} catch (error) {
  failed = true;
  console.error(`production smoke FAILED: ${error.message}`);
} finally {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    const code = await new Promise((resolve) => server.once("exit", (c) => resolve(c)));
    if (code !== 0) {
      failed = true;
      console.error(`production smoke: the server exited ${code} on SIGTERM`);
    } else step("server stopped cleanly on SIGTERM");
  }
  shopify.close();
  commerce7.close();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {});
  await admin.end();
}
process.exit(failed ? 1 : 0);
