/**
 * The Commerce7 sandbox: a local stand-in for the Commerce7 admin and API,
 * speaking the wire format the app meets in production, so a newcomer (and
 * the tests) can activate, open and navigate the app with no Commerce7
 * account. It never runs in production (routes 404, handlers throw).
 *
 *   /sandbox/commerce7/admin          the "Commerce7 admin": frames /app with
 *                                     tenantId, a signed account token and
 *                                     adminUITheme; activates/deactivates a
 *                                     test tenant with the real Basic auth POSTs
 *   /sandbox/commerce7/api/v1/…       the API: GET /account/user (configurable
 *                                     latency, default 300 ms as the seed
 *                                     measured, and failure modes), GET /customer
 *                                     (cursor pagination, app Basic auth)
 *   /sandbox/commerce7/control        JSON: read the call counter, set latency
 *                                     and failure modes, virtual time (tests)
 *   /sandbox/commerce7/commerce7.js   a tiny stand-in for Commerce7's script
 *
 * How the app reaches it: in sandbox mode the app's Commerce7 API base URL is
 * APP_URL + /sandbox/commerce7/api/v1, and the API client's transport hands
 * requests for that base straight to handleSandboxApi in this process
 * (commerce7.server.ts). The same handler is mounted as real HTTP routes, so
 * curl and the browser see the same thing. In-process because APP_URL is the
 * app's PUBLIC address: behind a tunnel, a proxy, or in tests
 * (https://app.test.example, PORT=0) the server cannot reach itself through it.
 */
import { createHmac } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { isVirtualTime, now, setVirtualTime, sleep } from "~/lib/clock.server";
import { basicAuthorization, commerce7Settings, tenantIdSchema, type BasicCredentials } from "~/lib/platforms/commerce7/config.server";
import {
  handleCommerce7Activation,
  handleCommerce7Deactivation,
  hasBasicCredentials,
} from "~/lib/platforms/commerce7/install.server";
import { getStore } from "~/lib/db/index.server";
import { themeSchema } from "~/lib/db/store.server";
import { env } from "~/lib/env.server";
import { jsonError } from "~/lib/http.server";
import { assertNotProduction } from "./index.server";
import { readJsonBody, readFormBody } from "~/lib/request-body.server";

export const SANDBOX_PATH = "/sandbox/commerce7";
export const SANDBOX_API_PATH = `${SANDBOX_PATH}/api/v1`;

// The sandbox's credentials are DERIVED from SESSION_SECRET, so they are
// stable across restarts, differ per installation, and no weak password is
// ever written down.

/** A sandbox secret: HMAC(SESSION_SECRET, label). Never used outside the sandbox. */
export function sandboxSecret(label: string): string {
  return createHmac("sha256", env().SESSION_SECRET[0]).update(`commerce7-sandbox:${label}`).digest("base64url");
}

/** The sandbox's app id and secret (Basic auth of the app's own API calls). */
export function sandboxAppCredentials(): BasicCredentials {
  return { user: "commerce7-sandbox-app", password: sandboxSecret("app-secret") };
}

/** What the Dev Center would be told for the install URLs, when COMMERCE7_INSTALL_USER/PASSWORD are unset. */
export function sandboxInstallCredentials(): BasicCredentials {
  return { user: "commerce7-sandbox", password: sandboxSecret("install-password") };
}

/** The sandbox's API base URL: another Commerce7, on the app's own address. */
export function sandboxApiUrl(): string {
  return `${env().APP_URL}${SANDBOX_API_PATH}`;
}

export const FAILURE_MODES = ["none", "401", "429", "500", "hang"] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export const DEFAULT_LATENCY_MS = 300;
const MAX_RECORDED_CALLS = 500;
/** A "hang" nobody aborts (curl) ends after this with a 504. */
const HANG_LIMIT_MS = 120_000;
const TOKEN_ISSUER = "commerce7-sandbox";
const TOKEN_LIFETIME_SECONDS = 600;

export interface SandboxCall {
  /** API path below /v1, e.g. /account/user */
  endpoint: string;
  tenant: string | null;
  /** On the app's clock (virtual time moves it). */
  at: string;
  /** The status answered, or "hang"/"aborted". */
  outcome: number | "hang" | "aborted";
}

interface SandboxState {
  latencyMs: number;
  failure: { mode: FailureMode; remaining: number | null; retryAfterSeconds: number };
  calls: SandboxCall[];
}

// On globalThis: development reloads rebuilt code in place; the state survives.
const holder = globalThis as typeof globalThis & { __commerce7Sandbox?: SandboxState };

function initialState(): SandboxState {
  return { latencyMs: DEFAULT_LATENCY_MS, failure: { mode: "none", remaining: null, retryAfterSeconds: 1 }, calls: [] };
}

function state(): SandboxState {
  holder.__commerce7Sandbox ??= initialState();
  return holder.__commerce7Sandbox;
}

/** Tests: back to the defaults (300 ms, no failures, no calls, real time). */
export function resetSandbox(): void {
  holder.__commerce7Sandbox = initialState();
  setVirtualTime(false);
}

// --- control -------------------------------------------------------------------

export const sandboxControlSchema = z.object({
  latencyMs: z.coerce.number().int().min(0).max(60_000).optional(),
  /** `times` calls fail this way, then the API answers normally; no `times`: every call fails. */
  failure: z
    .object({
      mode: z.enum(FAILURE_MODES),
      times: z.coerce.number().int().min(1).max(1000).optional(),
      retryAfterSeconds: z.coerce.number().int().min(0).max(3600).default(1),
    })
    .optional(),
  resetCalls: z.boolean().optional(),
  reset: z.boolean().optional(),
  /** Waits (client backoff, this sandbox's latency) move the app clock instead of passing. Tests only. */
  virtualTime: z.boolean().optional(),
});
export type SandboxControl = z.input<typeof sandboxControlSchema>;

export function sandboxReport() {
  const s = state();
  return {
    latencyMs: s.latencyMs,
    failure: s.failure,
    virtualTime: isVirtualTime(),
    accountUserCalls: s.calls.filter((c) => c.endpoint === "/account/user").length,
    calls: s.calls,
  };
}

export function configureSandbox(input: SandboxControl) {
  assertNotProduction();
  const control = sandboxControlSchema.parse(input);
  if (control.reset) resetSandbox();
  const s = state();
  if (control.latencyMs !== undefined) s.latencyMs = control.latencyMs;
  if (control.failure) {
    s.failure = {
      mode: control.failure.mode,
      remaining: control.failure.mode === "none" ? null : (control.failure.times ?? null),
      retryAfterSeconds: control.failure.retryAfterSeconds,
    };
  }
  if (control.resetCalls) s.calls = [];
  if (control.virtualTime !== undefined) setVirtualTime(control.virtualTime);
  return sandboxReport();
}

/** GET: the report; POST (JSON): change the sandbox, then the report. */
export async function handleSandboxControl(request: Request): Promise<Response> {
  assertNotProduction();
  if (request.method === "POST") {
    // JSON only: a cross-site form cannot send it without a CORS preflight.
    if (!request.headers.get("content-type")?.includes("application/json")) {
      return jsonError(415, "unsupported_media_type", "Send the control as application/json.");
    }
    const parsed = sandboxControlSchema.safeParse(await readJsonBody(request));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return jsonError(400, "invalid_body", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
    }
    configureSandbox(parsed.data);
  }
  return Response.json(sandboxReport(), { headers: { "Cache-Control": "no-store" } });
}

// --- account tokens ------------------------------------------------------------

export interface SandboxUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

export const DEFAULT_TENANT = "sandbox-winery";
export const DEFAULT_USER: SandboxUser = {
  id: "c7-user-sam",
  email: "sam@sandbox-winery.example",
  firstName: "Sam",
  lastName: "Sommelier",
};

function tokenKey(): Uint8Array {
  return new TextEncoder().encode(sandboxSecret("account-token"));
}

/** The `account` value the sandbox admin puts in the app's URL: a JWT only this sandbox can verify. */
export async function signAccountToken(tenantId: string, user: SandboxUser): Promise<string> {
  const issuedAt = Math.floor(now().getTime() / 1000);
  return new SignJWT({ tenantId, email: user.email, firstName: user.firstName, lastName: user.lastName })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(user.id)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + TOKEN_LIFETIME_SECONDS)
    .sign(tokenKey());
}

const tokenClaims = z.object({
  sub: z.string(),
  tenantId: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
});

async function verifyAccountToken(token: string, tenant: string | null): Promise<SandboxUser | null> {
  try {
    const { payload } = await jwtVerify(token, tokenKey(), {
      issuer: TOKEN_ISSUER,
      algorithms: ["HS256"],
      currentDate: now(),
    });
    const claims = tokenClaims.parse(payload);
    if (claims.tenantId !== tenant) return null;
    return { id: claims.sub, email: claims.email, firstName: claims.firstName, lastName: claims.lastName };
  } catch {
    return null;
  }
}

// --- the API -------------------------------------------------------------------

function commerce7Error(status: number, type: string, message: string, headers: HeadersInit = {}): Response {
  return Response.json({ statusCode: status, type, message }, { status, headers });
}

function takeFailure(): { mode: FailureMode; retryAfterSeconds: number } {
  const { failure } = state();
  if (failure.mode === "none") return failure;
  if (failure.remaining !== null) {
    if (failure.remaining <= 0) return { mode: "none", retryAfterSeconds: 0 };
    failure.remaining -= 1;
  }
  return failure;
}

function untilAborted(signal: AbortSignal): Promise<"aborted" | "limit"> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve("aborted");
    const timer = setTimeout(() => resolve("limit"), HANG_LIMIT_MS);
    timer.unref();
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve("aborted");
    });
  });
}

const DEMO_CUSTOMERS = ["Ada", "Brook", "Cyd", "Dale", "Esme"].map((firstName, i) => ({
  id: `c7-customer-${i + 1}`,
  firstName,
  lastName: "Vintner",
  emails: [{ email: `${firstName.toLowerCase()}@example.com` }],
}));
const PAGE_SIZE = 2;

async function accountUser(request: Request, tenant: string | null): Promise<Response> {
  const user = await verifyAccountToken(request.headers.get("authorization") ?? "", tenant);
  if (!user) return commerce7Error(401, "unauthorized", "The account token is not valid for this tenant.");
  return Response.json({ ...user, avatar: null, isActive: true, lastLoginAt: now().toISOString() });
}

function customers(request: Request, url: URL, tenant: string | null): Response {
  if (!hasBasicCredentials(request, sandboxAppCredentials())) {
    return commerce7Error(401, "unauthorized", "App credentials required (Basic auth).");
  }
  if (!tenant) return commerce7Error(400, "validation", "The tenant header is required.");
  const cursor = url.searchParams.get("cursor");
  const start = cursor === "start" ? 0 : Number(Buffer.from(cursor ?? "", "base64url").toString("utf8"));
  if (!Number.isInteger(start) || start < 0) return commerce7Error(400, "validation", "Unknown cursor.");
  const page = DEMO_CUSTOMERS.slice(start, start + PAGE_SIZE);
  const next = start + PAGE_SIZE < DEMO_CUSTOMERS.length ? Buffer.from(String(start + PAGE_SIZE)).toString("base64url") : undefined;
  return Response.json({ customers: page, total: DEMO_CUSTOMERS.length, ...(next ? { cursor: next } : {}) });
}

/** The sandbox's Commerce7 API (the routes and the app's in-process transport both call this). */
export async function handleSandboxApi(request: Request): Promise<Response> {
  assertNotProduction();
  const url = new URL(request.url);
  const endpoint = url.pathname.startsWith(SANDBOX_API_PATH) ? url.pathname.slice(SANDBOX_API_PATH.length) : url.pathname;
  const tenant = request.headers.get("tenant");
  const s = state();
  const call: SandboxCall = { endpoint, tenant, at: now().toISOString(), outcome: 0 };
  s.calls.push(call);
  if (s.calls.length > MAX_RECORDED_CALLS) s.calls.splice(0, s.calls.length - MAX_RECORDED_CALLS);

  const response = await answer(request, url, endpoint, tenant, call);
  if (call.outcome === 0) call.outcome = response.status;
  return response;
}

async function answer(request: Request, url: URL, endpoint: string, tenant: string | null, call: SandboxCall): Promise<Response> {
  try {
    await sleep(state().latencyMs, request.signal);
  } catch {
    call.outcome = "aborted";
    return commerce7Error(499, "aborted", "The client went away.");
  }
  const failure = takeFailure();
  switch (failure.mode) {
    case "401":
      return commerce7Error(401, "unauthorized", "Sandbox failure mode: 401.");
    case "429":
      return commerce7Error(429, "rate_limited", "Sandbox failure mode: too many requests.", {
        "Retry-After": String(failure.retryAfterSeconds),
      });
    case "500":
      return commerce7Error(500, "server_error", "Sandbox failure mode: 500.");
    case "hang": {
      call.outcome = "hang";
      const ended = await untilAborted(request.signal);
      return commerce7Error(ended === "aborted" ? 499 : 504, "hang", "Sandbox failure mode: hang.");
    }
    case "none":
      break;
  }
  if (request.method !== "GET") return commerce7Error(405, "method_not_allowed", "The sandbox API is read-only.");
  if (endpoint === "/account/user") return accountUser(request, tenant);
  if (endpoint === "/customer") return customers(request, url, tenant);
  return commerce7Error(404, "not_found", `The sandbox does not implement ${endpoint}.`);
}

// --- the admin -----------------------------------------------------------------

const adminQuerySchema = z.object({
  tenantId: tenantIdSchema.catch(DEFAULT_TENANT),
  adminUITheme: themeSchema.catch("light"),
  firstName: z.string().trim().min(1).max(100).catch(DEFAULT_USER.firstName),
  lastName: z.string().trim().min(1).max(100).catch(DEFAULT_USER.lastName),
  email: z.email().catch(DEFAULT_USER.email),
});

function adminInput(params: URLSearchParams) {
  const q = adminQuerySchema.parse({
    tenantId: params.get("tenantId") ?? undefined,
    adminUITheme: params.get("adminUITheme") ?? undefined,
    firstName: params.get("firstName") ?? undefined,
    lastName: params.get("lastName") ?? undefined,
    email: params.get("email") ?? undefined,
  });
  const user: SandboxUser = { id: `c7-user-${q.email.split("@")[0]}`, email: q.email, firstName: q.firstName, lastName: q.lastName };
  return { tenantId: q.tenantId, theme: q.adminUITheme, user };
}

/** What the admin page shows: the tenant, whether it is activated, the framed app URL, the counters. */
export async function sandboxAdminPage(request: Request) {
  assertNotProduction();
  const { tenantId, theme, user } = adminInput(new URL(request.url).searchParams);
  const client = await (await getStore()).findClient("commerce7", tenantId);
  const account = await signAccountToken(tenantId, user);
  // With the admin on its own site (SANDBOX_ADMIN_URL), the app's configured
  // URL, as the Dev Center's: the app is the third party it is in the real
  // admin. Otherwise relative: the frame is same-origin with this page
  // ('self' in frame-ancestors), whatever host the browser used.
  const query = new URLSearchParams({ tenantId, account, adminUITheme: theme });
  const appSrc = env().SANDBOX_ADMIN_URL ? `${env().APP_URL}/app?${query}` : `/app?${query}`;
  return {
    tenantId,
    theme,
    user,
    installed: client?.installState === "installed",
    appSrc,
    // Whose messages (the frame's height) the admin listens to; null: its own origin.
    appOrigin: env().SANDBOX_ADMIN_URL ? new URL(env().APP_URL).origin : null,
    installUser: commerce7Settings().installCredentials?.user ?? null,
    failureModes: FAILURE_MODES,
    report: sandboxReport(),
  };
}

const adminActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("install"), organizationName: z.string().trim().max(255).optional() }),
  z.object({ intent: z.literal("uninstall") }),
  z.object({
    intent: z.literal("configure"),
    latencyMs: z.coerce.number().int().min(0).max(60_000),
    mode: z.enum(FAILURE_MODES),
    times: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(1).max(1000).optional()),
    retryAfterSeconds: z.coerce.number().int().min(0).max(3600).default(1),
  }),
  z.object({ intent: z.literal("reset") }),
]);

/**
 * The admin's buttons. "Install" and "Uninstall" perform the real activation
 * and deactivation POSTs, Basic auth included, through the same handlers the
 * /install/commerce7 and /uninstall/commerce7 routes call (in-process, for
 * the reason given at the top of this file).
 */
export async function handleSandboxAdminAction(request: Request): Promise<{ message: string; ok: boolean }> {
  assertNotProduction();
  const { tenantId, user } = adminInput(new URL(request.url).searchParams);
  const parsed = adminActionSchema.safeParse(Object.fromEntries(await readFormBody(request)));
  if (!parsed.success) return { ok: false, message: `Invalid form: ${parsed.error.issues[0]?.message ?? "?"}` };
  const input = parsed.data;
  switch (input.intent) {
    case "install":
    case "uninstall": {
      const credentials = commerce7Settings().installCredentials;
      if (!credentials) return { ok: false, message: "No install credentials configured." };
      const path = input.intent === "install" ? "/install/commerce7" : "/uninstall/commerce7";
      const body =
        input.intent === "install"
          ? { tenantId, user, "organization-name": input.organizationName || `${tenantId} (sandbox)` }
          : { tenantId, user: { id: user.id } };
      const call = new Request(`${env().APP_URL}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: basicAuthorization(credentials) },
        body: JSON.stringify(body),
      });
      const response =
        input.intent === "install" ? await handleCommerce7Activation(call) : await handleCommerce7Deactivation(call);
      return { ok: response.ok, message: `POST ${path} answered ${response.status}: ${await response.text()}` };
    }
    case "configure":
      configureSandbox({
        latencyMs: input.latencyMs,
        failure: { mode: input.mode, times: input.times, retryAfterSeconds: input.retryAfterSeconds },
      });
      return { ok: true, message: "Sandbox API updated." };
    case "reset":
      configureSandbox({ reset: true });
      return { ok: true, message: "Sandbox reset." };
  }
}

/**
 * Stand-in for Commerce7's commerce7.js (whose CDN is out of reach in
 * development): like the real one, it tells the admin the page's height so
 * the frame fits its content.
 */
export const SANDBOX_SCRIPT = `(function () {
  if (parent === window) return;
  // The content's height, not the document's: the document is at least as
  // tall as the frame, so measuring it would only ever grow the frame.
  function contentHeight() {
    var bottom = 0;
    for (var i = 0; i < document.body.children.length; i++) {
      bottom = Math.max(bottom, document.body.children[i].getBoundingClientRect().bottom);
    }
    return Math.ceil(bottom + window.scrollY);
  }
  var last = -1;
  var lastPath = null;
  function post() {
    var height = contentHeight();
    // The admin may be on another site than the app; a height and a path are no secret.
    if (height !== last) {
      last = height;
      parent.postMessage({ type: "commerce7-sandbox:height", height: height }, "*");
    }
    if (location.pathname !== lastPath) {
      lastPath = location.pathname;
      parent.postMessage({ type: "commerce7-sandbox:path", path: lastPath }, "*");
    }
  }
  // Any change of size, of what is on the page (a client-side navigation,
  // a banner, a toast) or of the frame's width re-measures.
  var resize = new ResizeObserver(post);
  resize.observe(document.documentElement);
  resize.observe(document.body);
  function watchChildren() {
    for (var i = 0; i < document.body.children.length; i++) resize.observe(document.body.children[i]);
  }
  watchChildren();
  new MutationObserver(function () {
    watchChildren();
    post();
  }).observe(document.body, { childList: true, subtree: true, attributes: true });
  window.addEventListener("resize", post);
  post();
})();
`;
