/**
 * Commerce7, in one place. What routes and the session core need:
 *
 *   - the ENTRY (registered with sessions.server.ts on import): the
 *     Commerce7 admin frames `/app?tenantId=…&account=…&adminUITheme=…`; we
 *     verify the account token ONCE with `GET /account/user`, then start an
 *     app session (client, user, theme). Every later request is served from
 *     the session. requireAppSession memoises per request, so the parallel
 *     loaders of one page share the one verification.
 *   - ACTIVATION / DEACTIVATION: handleCommerce7Activation / …Deactivation
 *     (commerce7/install.server.ts).
 *   - the API CLIENT for the app's own calls: commerce7Api(tenantId)
 *     (commerce7/client.server.ts: timeouts, retries, zod, pagination).
 *
 * Settings: commerce7/config.server.ts. When the composition root plugged in
 * the platform sandbox (platform-plug.server.ts), everything talks to the
 * sandbox's Commerce7, in-process. See docs/COMMERCE7.md.
 */
import { z } from "zod";
import { recordAuthFailure } from "~/lib/operations/audit.server";
import {
  Commerce7Error,
  commerce7Get,
  commerce7Pages,
  type Commerce7Connection,
  type Transport,
} from "~/lib/platforms/commerce7/client.server";
import { basicAuthorization, commerce7Settings, tenantIdSchema, type Commerce7Settings } from "~/lib/platforms/commerce7/config.server";
import { getStore } from "~/lib/db/index.server";
import { themeSchema } from "~/lib/db/store.server";
import { isDataRequest, jsonError } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import { platformSandbox } from "~/lib/platforms/plug.server";
import { issueSessionHandoff } from "~/lib/sessions/handoff.server";
import { admitVerifiedEntry, registerEntryHandler, startAppSession, type AppSession } from "~/lib/sessions/core.server";

export { handleCommerce7Activation, handleCommerce7Deactivation, methodNotAllowed } from "~/lib/platforms/commerce7/install.server";
export { Commerce7Error } from "~/lib/platforms/commerce7/client.server";

// --- connections ---------------------------------------------------------------

/** fetch, except that calls to the plugged sandbox stay in this process (see platform-plug.server.ts). */
function transportFor(settings: Commerce7Settings): Transport {
  const sandbox = settings.sandbox ? platformSandbox() : null;
  if (!sandbox) return (request) => fetch(request);
  return (request) => (request.url.startsWith(settings.apiUrl) ? sandbox.commerce7.fetch(request) : fetch(request));
}

function connection(tenantId: string, authorization: string, signal?: AbortSignal): Commerce7Connection {
  const settings = commerce7Settings();
  return {
    apiUrl: settings.apiUrl,
    tenantId,
    authorization,
    transport: transportFor(settings),
    timeoutMs: settings.timeoutMs,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    signal,
  };
}

/**
 * The app's own API calls for a tenant: Basic auth with the app's id and
 * secret plus the `tenant` header. Throws Commerce7Error.
 */
export function commerce7Api(tenantId: string) {
  const credentials = commerce7Settings().appCredentials;
  if (!credentials) throw new Commerce7Error("unauthorized", "COMMERCE7_APP_ID / COMMERCE7_APP_SECRET are not set");
  const api = connection(tenantId, basicAuthorization(credentials));
  return {
    get: <S extends z.ZodType>(path: string, schema: S, query?: Record<string, string>) =>
      commerce7Get(api, path, schema, query),
    pages: <S extends z.ZodType>(path: string, key: string, itemSchema: S, query?: Record<string, string>) =>
      commerce7Pages(api, path, key, itemSchema, query),
  };
}

// --- the entry -----------------------------------------------------------------

/** GET /account/user: who the account token belongs to (Commerce7 sends more; we keep these). */
export const accountUserSchema = z.object({
  id: z.string().min(1).max(255),
  firstName: z.string().max(255).nullish(),
  lastName: z.string().max(255).nullish(),
  email: z.string().max(320).nullish(),
});
export type AccountUser = z.infer<typeof accountUserSchema>;

/**
 * Ask Commerce7 who the admin user opening the app is (the entry's only
 * platform call). `signal`: the browser's request, so retries stop when it leaves.
 */
export function verifyAccount(tenantId: string, account: string, signal?: AbortSignal): Promise<AccountUser> {
  return commerce7Get(connection(tenantId, account, signal), "/account/user", accountUserSchema);
}

/** The longest a merchant waits at the entry for Commerce7, across retries. */
export const ENTRY_WAIT_MS = 8_000;

const entryQuerySchema = z.object({
  tenantId: tenantIdSchema,
  // A JWT (three base64url parts). Anything else is refused before it can
  // cost a call against the tenant's API quota.
  account: z
    .string()
    .max(8192)
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, "must be the account token Commerce7 sends"),
  // The app store requires light and dark; anything else falls back to light.
  adminUITheme: themeSchema.catch("light"),
});

function commerce7EntryMatches(request: Request): boolean {
  const params = new URL(request.url).searchParams;
  return params.has("tenantId") && params.has("account");
}

/** Refusals at the entry: JSON for data requests, a page for documents (root.tsx's ErrorBoundary renders the body). */
function entryRefusal(error: Commerce7Error, tenantId: string): Response {
  const settings = commerce7Settings();
  switch (error.kind) {
    case "unauthorized":
      return jsonError(
        401,
        "commerce7_no_access",
        "Commerce7 did not confirm your access to this app. Ask an administrator of your Commerce7 account to give you access to the app, then open it again from your Commerce7 admin. If you already have access, contact us.",
        {},
        { title: "You don't have access to this app", supportUrl: settings.supportUrl },
      );
    case "rate_limited":
      return jsonError(
        503,
        "commerce7_rate_limited",
        "Commerce7 asked us to slow down, so we could not confirm your sign-in. Nothing was lost; please open the app again in a moment.",
        { "Retry-After": String(error.retryAfterSeconds ?? 30) },
        { title: "Commerce7 is busy", retryAfterSeconds: error.retryAfterSeconds },
      );
    case "unavailable":
      return jsonError(
        503,
        "commerce7_unavailable",
        "Commerce7 did not answer after several tries, so we could not confirm your sign-in. Nothing was lost; please open the app again in a moment.",
        { "Retry-After": "10" },
        { title: "Commerce7 is not answering" },
      );
    case "bad_response":
      logger.error({ event: "commerce7.bad_response", tenantId, reason: error.message }, "unexpected reply from Commerce7");
      return jsonError(
        502,
        "commerce7_bad_response",
        "Commerce7 answered in a way we did not expect, so we could not confirm your sign-in. Please try again; if it persists, contact us.",
        {},
        { title: "Something went wrong with Commerce7", supportUrl: settings.supportUrl },
      );
  }
}

/**
 * The tenant has no active installation here (never activated, or
 * deactivated). 403, not 401 or 404: Commerce7 has just vouched for the user,
 * so signing in again cannot help (not 401), and the URL is right (not 404);
 * the app refuses to serve a tenant that has not activated it.
 */
function notActivated(tenantId: string): Response {
  return jsonError(
    403,
    "not_activated",
    `The app is not activated for the Commerce7 tenant "${tenantId}" (it was never activated, or it was deactivated). Activate it from your Commerce7 admin (Apps), then open it again.`,
    {},
    { title: "This app is not activated for your store", supportUrl: commerce7Settings().supportUrl },
  );
}

async function enterFromCommerce7(request: Request): Promise<AppSession> {
  const parsed = entryQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw jsonError(
      400,
      "invalid_entry",
      `The link that opened the app is not a valid Commerce7 entry (${issue?.path.join(".")}: ${issue?.message}). Open the app again from your Commerce7 admin.`,
      {},
      { title: "This link cannot open the app" },
    );
  }
  const { tenantId, account, adminUITheme } = parsed.data;

  // Verify first, then look the tenant up: a caller without a valid account
  // token learns nothing about which tenants have activated the app.
  let user: AccountUser;
  try {
    // The whole check, retries included, waits at most ENTRY_WAIT_MS: the
    // admin keeps showing its old page meanwhile, and a merchant gives up long
    // before three 5 s timeouts (15.5 s) have passed.
    user = await verifyAccount(tenantId, account, AbortSignal.any([request.signal, AbortSignal.timeout(ENTRY_WAIT_MS)]));
  } catch (error) {
    if (error instanceof Commerce7Error) {
      if (error.kind === "unauthorized") {
        await recordAuthFailure(request, "jwt", { reason: "Commerce7 refused the account token", tenantId });
      } else {
        logger.warn({ event: "commerce7.entry_failed", tenantId, kind: error.kind, status: error.status }, "Commerce7 entry failed");
      }
      throw entryRefusal(error, tenantId);
    }
    throw error;
  }

  const client = await (await getStore()).findClient("commerce7", tenantId);
  if (!client || client.installState !== "installed") {
    logger.info({ event: "commerce7.entry_not_activated", tenantId }, "Commerce7 entry for a tenant without installation");
    throw notActivated(tenantId);
  }
  // Commerce7 vouched for this user of this tenant: only now does the entry count against the tenant.
  await admitVerifiedEntry(request, tenantId);

  const name = [user.firstName, user.lastName].filter(Boolean).join(" ") || null;
  const { session } = await startAppSession({
    request,
    clientId: client.id,
    user: { id: user.id, name, email: user.email ?? null },
    theme: adminUITheme,
  });
  logger.info({ event: "commerce7.entry", tenantId, sessionId: session.id, userId: user.id }, "Commerce7 entry verified");
  // Commerce7 has no bearer of its own (Shopify has App Bridge's): where the
  // browser refuses the cookie, the page gets the token through this code.
  return { ...session, handoffCode: await issueSessionHandoff(session) };
}

/**
 * The page that was opened with the entry parameters keeps them in its URL,
 * so Remix's revalidations and fetches after an action carry them again.
 * Those are not new entries: a data request with a live session for this
 * tenant is served from it (no Commerce7 call, no entry rate-limit hit). A
 * malformed entry is not reused: it gets its 400.
 */
function reusesCommerce7Session(request: Request, session: AppSession): boolean {
  if (!isDataRequest(request) || session.platform !== "commerce7") return false;
  const parsed = entryQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  return parsed.success && session.clientExternalId === parsed.data.tenantId;
}

registerEntryHandler({
  name: "commerce7",
  matches: commerce7EntryMatches,
  reuses: reusesCommerce7Session,
  enter: enterFromCommerce7,
});

// --- pages in the Commerce7 admin ---------------------------------------------

/** The commerce7.js every page in the Commerce7 iframe loads (the sandbox's stand-in in sandbox mode). */
export function commerce7ScriptUrl(): string {
  return commerce7Settings().scriptUrl;
}
