/**
 * Commerce7 activation (install) and deactivation (uninstall): server-to-server
 * POSTs from Commerce7 to the URLs set in the Dev Center, authenticated with
 * the Basic auth pair set there (COMMERCE7_INSTALL_USER / _PASSWORD).
 *
 * Both are idempotent: Commerce7 may repeat a call, and repeating one changes
 * nothing. Unknown top-level keys are the tenant's setup variables: accepted
 * and kept with the installation record (never a secret of ours).
 */
import { z } from "zod";
import { recordAuthFailure } from "~/lib/operations/audit.server";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { jsonError, NO_STORE, withDatabase } from "~/lib/http.server";
import { logger } from "~/lib/log.server";
import { safeEqual } from "~/lib/operations/operator-auth.server";
import { countFailure, enforceRateLimit, refuseRepeatedFailures } from "~/lib/operations/rate-limit.server";
import { commerce7Settings, tenantIdSchema, type BasicCredentials } from "./config.server";
import { readJsonBody } from "~/lib/request-body.server";

/** Commerce7's bodies are a few hundred bytes; setup variables add a little. */
export const MAX_INSTALL_BODY_BYTES = 64 * 1024;

// Names are one line of text, so no control characters at all. (Text
// PostgreSQL cannot store anywhere in the body, setup variables included, is
// refused by readJsonBody before the schema runs.)
const NAME = /^[^\p{Cc}\p{Cs}]*$/u;
const NAME_MESSAGE = "must not contain control characters or unpaired surrogates";

const name = (min: number) => z.string().trim().min(min).max(255).regex(NAME, NAME_MESSAGE);

const userSchema = z.looseObject({
  id: name(1).optional(),
  email: z.email().max(320),
  firstName: name(1),
  lastName: name(0),
});

export const activationSchema = z.looseObject({
  tenantId: tenantIdSchema,
  user: userSchema,
  "organization-name": name(0).optional(),
});

export const deactivationSchema = z.looseObject({
  tenantId: tenantIdSchema,
  user: z.looseObject({ id: z.string().optional() }).optional(),
});

const REALM = 'Basic realm="Commerce7 installation", charset="UTF-8"';

/**
 * Does the request carry this Basic auth pair? Parsing Basic auth is a few
 * lines; the comparison is node:crypto's timingSafeEqual (safeEqual). Both halves are
 * always compared (no early exit on a wrong user name).
 */
export function hasBasicCredentials(request: Request, expected: BasicCredentials): boolean {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  const decoded = match ? Buffer.from(match[1], "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  const user = colon >= 0 ? decoded.slice(0, colon) : "";
  const password = colon >= 0 ? decoded.slice(colon + 1) : "";
  const userOk = safeEqual(user, expected.user);
  const passwordOk = safeEqual(password, expected.password);
  return colon >= 0 && userOk && passwordOk;
}

function invalidBody(issue: z.core.$ZodIssue | null, fallback: string): Response {
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : null;
  const message = issue ? `${field ?? "body"}: ${issue.message}` : fallback;
  return jsonError(400, "invalid_body", message, {}, { field });
}

type Parsed<S extends z.ZodType> = { ok: true; data: z.output<S> } | { ok: false; response: Response };

/** Auth, size, JSON and schema checks shared by both calls. */
async function parseInstallCall<S extends z.ZodType>(request: Request, schema: S): Promise<Parsed<S>> {
  const credentials = commerce7Settings().installCredentials;
  if (!credentials) {
    return {
      ok: false,
      response: jsonError(404, "not_configured", "Commerce7 is not configured on this server (COMMERCE7_INSTALL_USER/PASSWORD)."),
    };
  }
  // Wrong pairs are throttled per IP, looked at before this pair is checked.
  try {
    await withDatabase(() => refuseRepeatedFailures(request, "install_auth"));
  } catch (refusal) {
    if (refusal instanceof Response) return { ok: false, response: refusal };
    throw refusal;
  }
  if (!hasBasicCredentials(request, credentials)) {
    await recordAuthFailure(request, "basic_auth", { reason: "the install Basic auth pair did not match" });
    await withDatabase(() => countFailure(request, "install_auth")).catch(() => undefined);
    return {
      ok: false,
      response: jsonError(401, "unauthorized", "Basic authentication with the Dev Center's install credentials is required.", {
        "WWW-Authenticate": REALM,
      }),
    };
  }
  let json: unknown;
  try {
    json = await readJsonBody(request, { maxBytes: MAX_INSTALL_BODY_BYTES });
  } catch (refusal) {
    if (refusal instanceof Response) return { ok: false, response: refusal };
    throw refusal;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, response: invalidBody(parsed.error.issues[0] ?? null, "Invalid body.") };
  // Limited per IP and per tenant (RATE_LIMIT_INSTALL_*), counted once the
  // caller has proved it is Commerce7 and said which tenant: nothing is written yet.
  try {
    await withDatabase(() => enforceRateLimit(request, "install", { client: (parsed.data as { tenantId: string }).tenantId }));
  } catch (refusal) {
    if (refusal instanceof Response) return { ok: false, response: refusal };
    throw refusal;
  }
  return { ok: true, data: parsed.data };
}

function ok(body: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ ok: true, ...body }), {
    status: 200,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": NO_STORE },
  });
}

/** POST /install/commerce7 */
export async function handleCommerce7Activation(request: Request): Promise<Response> {
  const parsed = await parseInstallCall(request, activationSchema);
  if (!parsed.ok) return parsed.response;
  const { tenantId, user, ...setup } = parsed.data;
  const organizationName = parsed.data["organization-name"];
  const installation = await withDatabase(async () =>
    (await getStore()).installCommerce7Tenant(
      {
        tenantId,
        organizationName: organizationName || null,
        userId: user.id ?? null,
        data: {
          installedBy: { id: user.id ?? null, email: user.email, firstName: user.firstName, lastName: user.lastName },
          setup,
        },
      },
      now(),
    ),
  );
  logger.info(
    { event: "commerce7.installed", tenantId, clientId: installation.clientId, repeated: installation.alreadyInstalled },
    "Commerce7 tenant activated",
  );
  return ok({ tenantId, installed: true, alreadyInstalled: installation.alreadyInstalled });
}

/** POST /uninstall/commerce7 */
export async function handleCommerce7Deactivation(request: Request): Promise<Response> {
  const parsed = await parseInstallCall(request, deactivationSchema);
  if (!parsed.ok) return parsed.response;
  const { tenantId } = parsed.data;
  const removed = await withDatabase(async () => (await getStore()).uninstallClient("commerce7", tenantId, now()));
  logger.info(
    { event: "commerce7.uninstalled", tenantId, clientId: removed?.clientId ?? null, appSessions: removed?.appSessions ?? 0 },
    removed ? "Commerce7 tenant deactivated" : "Commerce7 deactivation for a tenant we do not know (nothing to do)",
  );
  return ok({ tenantId, uninstalled: removed !== null, appSessionsRemoved: removed?.appSessions ?? 0 });
}

/** Routes answer other methods with this. */
export function methodNotAllowed(): Response {
  return jsonError(405, "method_not_allowed", "Use POST.", { Allow: "POST" });
}
