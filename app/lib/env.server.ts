/**
 * Settings: every environment variable the app reads, parsed once with zod.
 *
 * A bad value stops the server with a message naming the variable. With no
 * `.env` in development the app still starts: missing secrets are generated
 * once into `.data/dev-secrets.json` (so sessions and encrypted tokens survive
 * a restart) and a warning says so. In production the secrets are required.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Cron } from "croner";
import proxyAddr from "proxy-addr";
import { z } from "zod";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const emptyToUndefined = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());
const positiveNumber = (fallback: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().positive().finite().default(fallback));
const positiveInt = (fallback: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().positive().default(fallback));

/** 32-byte keys, given as 64 hex characters or base64/base64url. */
function parseKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    return key.length === 32 ? key : null;
  }
  return null;
}

/** A comma-separated list, newest first: the first entry signs or encrypts, the rest still verify or decrypt (rotation). */
const secretList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(32, "each secret must be at least 32 characters")).min(1))
    .optional(),
);

const keyList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .transform((v, ctx) =>
      v.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
        const key = parseKey(s);
        if (!key) {
          ctx.addIssue({
            code: "custom",
            message: "each key must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)",
          });
          return Buffer.alloc(0);
        }
        return key;
      }),
    )
    .pipe(z.array(z.instanceof(Buffer)).min(1))
    .optional(),
);

// --- production safety (issue 13): weak secrets, http APP_URL, trust proxy --

/**
 * Is this secret too predictable to sign cookies with? A generated secret
 * (`openssl rand -base64 32`: 43 characters of ~64 symbols) passes with a wide
 * margin; what fails is what a person types: one character repeated, a short
 * unit repeated ("abcabc…", "0123456789abcdef0123456789abcdef"), a run of
 * consecutive characters ("abcdefgh…"), or text whose
 * characters carry under 128 bits by their own frequencies (Shannon estimate).
 */
export function weakSecretReason(secret: string): string | null {
  const chars = [...secret];
  for (let unit = 1; unit <= chars.length / 2; unit++) {
    if (chars.length % unit === 0 && chars.every((c, i) => c === chars[i % unit])) {
      return unit === 1 ? "one character repeated" : `a ${unit}-character pattern repeated`;
    }
  }
  // Alphabet and keyboard-order runs ("abcdefgh…", "12345678…"): random text has under 20% such neighbours.
  const runs = chars.slice(1).filter((c, i) => Math.abs(c.codePointAt(0)! - chars[i].codePointAt(0)!) <= 1).length;
  if (runs >= 0.75 * (chars.length - 1)) return "mostly a run of consecutive characters";
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const n of counts.values()) bitsPerChar -= (n / chars.length) * Math.log2(n / chars.length);
  const bits = bitsPerChar * chars.length;
  return bits < 128 ? `about ${Math.floor(bits)} bits of entropy, under 128` : null;
}

/**
 * Is this 32-byte key visibly not random? Fewer than 16 distinct byte values
 * (all zero, 00…01, a repeated pattern): 32 random bytes have that with a
 * probability below 1e-20, so a real key is never refused.
 */
export function weakKeyReason(key: Buffer): string | null {
  const distinct = new Set(key).size;
  return distinct < 16 ? `only ${distinct} distinct byte value${distinct === 1 ? "" : "s"}: not random` : null;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Loopback stays usable over http (a production build tried locally); anything else must be https. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/**
 * TRUST_PROXY: which X-Forwarded-For hops Express may believe (its "trust
 * proxy" setting). A hop count (the proxies in front of the app), or a list of
 * the proxies' addresses, subnets or proxy-addr names (loopback, linklocal,
 * uniquelocal). Unset: the connection's own address, which nobody can spoof.
 * `true` is refused: it makes Express take the leftmost address, which the
 * client writes itself.
 */
export type TrustProxy = false | number | string[];
const trustProxy = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx): TrustProxy => {
      const text = value?.trim().toLowerCase();
      if (text === undefined || text === "false" || text === "0" || text === "off") return false;
      if (text === "true") {
        ctx.addIssue({
          code: "custom",
          message:
            '"true" believes the leftmost X-Forwarded-For address, which any client can write: set the number of proxies in front of the app (e.g. 1), or their addresses (e.g. loopback, 10.0.0.0/8); see docs/DEPLOY.md',
        });
        return z.NEVER;
      }
      if (/^\d+$/.test(text)) return Number(text);
      const list = text.split(",").map((s) => s.trim()).filter(Boolean);
      try {
        // The parser Express itself uses for this setting: what passes here is what Express will apply.
        proxyAddr.compile(list);
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: `must be a hop count or a list of addresses, subnets or loopback/linklocal/uniquelocal (${(error as Error).message})`,
        });
        return z.NEVER;
      }
      return list;
    }),
);

// --- end production safety ---------------------------------------------------

// --- operations (issue 7): rate limits, cleanup schedule, binding, metrics ----

/** A rate limit: "<hits>/<window>" with the window in s, m or h ("30/1m", "5/10s"), or "off". */
export interface RateLimitSetting {
  limit: number;
  windowSeconds: number;
}
const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };
const rateLimit = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .transform((value, ctx): RateLimitSetting | null => {
        const text = value.trim().toLowerCase();
        if (text === "off") return null;
        const match = /^(\d+)\s*\/\s*(\d+)?\s*([smh])?$/.exec(text);
        const limit = match ? Number(match[1]) : 0;
        const windowSeconds = match ? Number(match[2] ?? 1) * WINDOW_UNITS[match[3] ?? "s"] : 0;
        if (!match || limit < 1 || windowSeconds < 1 || windowSeconds > 86_400) {
          ctx.addIssue({ code: "custom", message: 'must be "<hits>/<window>" like "30/1m" or "5/10s" (window up to 24h), or "off"' });
          return z.NEVER;
        }
        return { limit, windowSeconds };
      }),
  );

const cronPattern = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .refine(
      (pattern) => {
        try {
          new Cron(pattern, { paused: true }).stop();
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a cron pattern such as "*/15 * * * *" (empty: no in-process schedule)' },
    )
    .optional(),
);

const operationsSchema = {
  /** Bearer token for GET /api/metrics (CRON_SECRET is accepted too). */
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  /** Audit rows (session_events) older than this are removed by cleanup. */
  SESSION_EVENT_RETENTION_DAYS: positiveInt(90),
  /**
   * Rows of each kind per cleanup batch (each batch its own transaction).
   * 1,000: on a 1M-row backlog, batches of 5,000 finished a little sooner but
   * pushed the p99 of live session checks past 5 ms while they ran (npm run bench).
   */
  SESSION_CLEANUP_BATCH_SIZE: positiveInt(1000),
  /** In-process cleanup schedule (croner syntax, server time zone); one instance runs each tick. */
  SESSION_CLEANUP_CRON: cronPattern,
  /** Hijack policy: what a user-agent change on a live session does. */
  SESSION_BINDING: z.preprocess(emptyToUndefined, z.enum(["off", "log", "strict"]).default("log")),
  RATE_LIMIT_ENTRY_IP: rateLimit("60/1m"),
  RATE_LIMIT_ENTRY_CLIENT: rateLimit("300/1m"),
  RATE_LIMIT_INSTALL_IP: rateLimit("20/1m"),
  RATE_LIMIT_INSTALL_CLIENT: rateLimit("10/1m"),
  RATE_LIMIT_LOGOUT_IP: rateLimit("30/1m"),
  RATE_LIMIT_CLEANUP_IP: rateLimit("10/1m"),
};

// --- merchant UI (issue 6): handoff rate limit, sandbox admin site ----------

const merchantUiSchema = {
  /** POST /auth/session-handoff (the page redeeming its one-time code), per IP. */
  RATE_LIMIT_HANDOFF_IP: rateLimit("60/1m"),
  /**
   * Development and tests: the origin the platform sandboxes' admin pages are
   * opened on, when it is not APP_URL's. Set it to another site than APP_URL
   * (e.g. APP_URL=http://127.0.0.1:3000, SANDBOX_ADMIN_URL=http://localhost:3000)
   * to run the app as a third party in its admin iframe, as the real admins
   * do. The app's pages then allow it in frame-ancestors. Refused in production.
   */
  SANDBOX_ADMIN_URL: optionalUrl,
};

// --- end merchant UI ---------------------------------------------------------

// --- failure throttles (issue 13): looked at BEFORE a credential is trusted ---

const failureThrottleSchema = {
  /**
   * Failed entries (refused by the platform or malformed) per IP. An IP over
   * it is refused before its next entry is verified; failures never count
   * against the shop or tenant they name (RATE_LIMIT_ENTRY_CLIENT counts only
   * entries the platform vouched for), so forged entries cannot lock a merchant out.
   */
  RATE_LIMIT_ENTRY_FAILURES_IP: rateLimit("30/1m"),
  /** Wrong Basic auth pairs on /install/commerce7 and /uninstall/commerce7, per IP. */
  RATE_LIMIT_INSTALL_AUTH_FAILURES_IP: rateLimit("10/10m"),
  /** Wrong or missing operator secrets (CRON_SECRET, METRICS_TOKEN) on /api/metrics and /api/sessions/cleanup, per IP. */
  RATE_LIMIT_OPERATOR_FAILURES_IP: rateLimit("10/10m"),
};

// --- end failure throttles ----------------------------------------------------
// --- production install (issue 15) -------------------------------------------

const deploySchema = {
  /**
   * Shopify: at the creation of a staff member's app session, exchange the
   * entry's session token for an ONLINE access token too (one call, never per
   * request), stored encrypted as that user's platform session, so the app
   * knows the staff member's name and email. "0"/"false" turns it off (the
   * session token names the user by id only).
   */
  SHOPIFY_ONLINE_TOKENS: z.preprocess(
    emptyToUndefined,
    z.enum(["1", "true", "0", "false"]).default("1").transform((v) => v === "1" || v === "true"),
  ),
  /**
   * Production runs on the embedded PGlite only when this is "1"/"true": the
   * shops' offline tokens would live on the instance's own disk, which most
   * hosts replace at every deploy (each shop then needs reinstalling), and one
   * data folder serves one process only.
   */
  ALLOW_PGLITE_IN_PRODUCTION: z.preprocess(
    emptyToUndefined,
    z.enum(["1", "true", "0", "false"]).default("0").transform((v) => v === "1" || v === "true"),
  ),
};

// --- end production install --------------------------------------------------

// --- Shopify CLI (issue 15) --------------------------------------------------
// `shopify app dev` starts the dev command of shopify.web.toml with its own
// variables. They are read as well as ours, with ONE precedence (docs/SHOPIFY.md,
// "Settings the Shopify CLI hands over"): the CLI's value wins where it names the
// same thing, because it is the fresher one (a new tunnel URL at every run);
// HOST, a name shells and tools also use, only fills a gap, and only as a URL.
const shopifyCliSchema = {
  /** The tunnel URL (`shopify app dev`): wins over APP_URL. */
  SHOPIFY_APP_URL: optionalUrl,
  /** Older CLIs' tunnel URL: used only when neither SHOPIFY_APP_URL nor APP_URL is set. */
  HOST: optionalString,
  /** The scopes of shopify.app.toml: win over SHOPIFY_SCOPES. */
  SCOPES: optionalString,
  /** The port the CLI proxies to: used when PORT is unset. */
  FRONTEND_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional()),
};

/** Where the app's public URL came from (the start-up banner and errors name it). */
function resolveAppUrl(raw: { SHOPIFY_APP_URL?: string; APP_URL?: string; HOST?: string }): string | undefined {
  if (raw.SHOPIFY_APP_URL) return raw.SHOPIFY_APP_URL;
  if (raw.APP_URL) return raw.APP_URL;
  if (raw.HOST && /^https?:\/\//i.test(raw.HOST) && URL.canParse(raw.HOST)) return raw.HOST;
  return undefined;
}

// --- end Shopify CLI ----------------------------------------------------------

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional()),
  APP_URL: optionalUrl,
  TRUST_PROXY: trustProxy,
  SESSION_SECRET: secretList,
  TOKEN_ENCRYPTION_KEY: keyList,

  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection string")
      .optional(),
  ),
  DATABASE_POOL_MAX: positiveInt(10),
  /** Bound on every database call: past it, the request answers 503 instead of hanging. */
  DATABASE_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(50).max(60_000).default(2000)),
  SUPABASE_URL: optionalUrl,
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  PGLITE_DIR: z.preprocess(emptyToUndefined, z.string().default(".data/pglite")),

  APP_SESSION_TTL_HOURS: positiveNumber(8),
  APP_SESSION_IDLE_MINUTES: positiveNumber(30),
  APP_SESSION_REMEMBER_DAYS: positiveNumber(30),
  APP_SESSION_REMEMBER_IDLE_DAYS: positiveNumber(7),
  APP_SESSION_TOUCH_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(3600).default(60),
  ),

  SHOPIFY_API_KEY: optionalString,
  SHOPIFY_API_SECRET: optionalString,
  SHOPIFY_SCOPES: optionalString,

  COMMERCE7_APP_ID: optionalString,
  COMMERCE7_APP_SECRET: optionalString,
  COMMERCE7_INSTALL_USER: optionalString,
  COMMERCE7_INSTALL_PASSWORD: optionalString,
  COMMERCE7_API_URL: z.preprocess(emptyToUndefined, z.url().default("https://api.commerce7.com/v1")),
  // --- Commerce7 (issue 5): support link, API call limits ---
  // Where the "no access" page sends a Commerce7 user (your support page or a mailto: link).
  COMMERCE7_SUPPORT_URL: z.preprocess(emptyToUndefined, z.url().default("https://documentation.commerce7.com")),
  // Every Commerce7 API attempt (reply body included) is abandoned after this long.
  COMMERCE7_API_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(50).max(60_000).default(5000)),
  // A 429 whose Retry-After asks for longer than this is not waited for: the caller gets 503 at once.
  COMMERCE7_MAX_RETRY_AFTER_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(300).default(10),
  ),
  // --- end Commerce7 ---

  CRON_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(16, "must be at least 16 characters").optional(),
  ),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),

  ...operationsSchema,
  ...merchantUiSchema,
  ...failureThrottleSchema,
  ...deploySchema,
  ...shopifyCliSchema,
});

type Raw = z.infer<typeof schema>;

export interface Env extends Omit<Raw, "SESSION_SECRET" | "TOKEN_ENCRYPTION_KEY" | "APP_URL" | "PORT" | "SHOPIFY_SCOPES"> {
  /** APP_URL, or the Shopify CLI's SHOPIFY_APP_URL / HOST (see resolveAppUrl). */
  APP_URL: string;
  /** PORT, else the Shopify CLI's FRONTEND_PORT, else 3000. */
  PORT: number;
  /** The CLI's SCOPES, else SHOPIFY_SCOPES, else read_products. */
  SHOPIFY_SCOPES: string;
  SESSION_SECRET: string[];
  TOKEN_ENCRYPTION_KEY: Buffer[];
  isProduction: boolean;
  /** Where the secrets came from, for the start-up banner. */
  devSecretsFile: string | null;
  /** Which storage backend the settings select. */
  databaseBackend: "supabase" | "postgres" | "pglite";
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

interface DevSecrets {
  SESSION_SECRET: string;
  TOKEN_ENCRYPTION_KEY: string;
}

/** Development only: generate the secrets once and keep them beside the embedded database. */
function loadOrCreateDevSecrets(file: string): DevSecrets {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<DevSecrets>;
    if (parsed.SESSION_SECRET && parsed.TOKEN_ENCRYPTION_KEY) return parsed as DevSecrets;
  } catch {
    // absent or unreadable: make new ones below
  }
  const secrets: DevSecrets = {
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Parse settings from a source (process.env by default). Throws ConfigError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = schema.safeParse(source);
  if (!result.success) throw new ConfigError(formatIssues(result.error));
  const raw = result.data;
  const problems: string[] = [];
  const isProduction = raw.NODE_ENV === "production";

  if (raw.SUPABASE_URL && !raw.SUPABASE_SERVICE_ROLE_KEY) {
    problems.push("SUPABASE_SERVICE_ROLE_KEY: required when SUPABASE_URL is set");
  }
  if (!raw.SUPABASE_URL && raw.SUPABASE_SERVICE_ROLE_KEY) {
    problems.push("SUPABASE_URL: required when SUPABASE_SERVICE_ROLE_KEY is set");
  }
  if (raw.DATABASE_URL && raw.SUPABASE_URL) {
    problems.push("DATABASE_URL: set either DATABASE_URL or SUPABASE_URL, not both");
  }
  if (Boolean(raw.SHOPIFY_API_KEY) !== Boolean(raw.SHOPIFY_API_SECRET)) {
    problems.push(
      `${raw.SHOPIFY_API_KEY ? "SHOPIFY_API_SECRET" : "SHOPIFY_API_KEY"}: SHOPIFY_API_KEY and SHOPIFY_API_SECRET go together`,
    );
  }

  // --- Commerce7 (issue 5) ---
  if (Boolean(raw.COMMERCE7_APP_ID) !== Boolean(raw.COMMERCE7_APP_SECRET)) {
    problems.push(
      `${raw.COMMERCE7_APP_ID ? "COMMERCE7_APP_SECRET" : "COMMERCE7_APP_ID"}: COMMERCE7_APP_ID and COMMERCE7_APP_SECRET go together`,
    );
  }
  if (Boolean(raw.COMMERCE7_INSTALL_USER) !== Boolean(raw.COMMERCE7_INSTALL_PASSWORD)) {
    problems.push(
      `${raw.COMMERCE7_INSTALL_USER ? "COMMERCE7_INSTALL_PASSWORD" : "COMMERCE7_INSTALL_USER"}: COMMERCE7_INSTALL_USER and COMMERCE7_INSTALL_PASSWORD go together`,
    );
  }
  if (isProduction && raw.COMMERCE7_APP_ID && !raw.COMMERCE7_INSTALL_PASSWORD) {
    problems.push(
      "COMMERCE7_INSTALL_PASSWORD: required in production with COMMERCE7_APP_ID (the Basic auth pair of the Dev Center's install URLs)",
    );
  }
  if (isProduction && raw.COMMERCE7_INSTALL_PASSWORD && raw.COMMERCE7_INSTALL_PASSWORD.length < 16) {
    problems.push("COMMERCE7_INSTALL_PASSWORD: must be at least 16 characters in production (openssl rand -base64 24)");
  }
  // --- end Commerce7 ---

  // --- merchant UI (issue 6) ---
  if (isProduction && raw.SANDBOX_ADMIN_URL) {
    problems.push("SANDBOX_ADMIN_URL: the platform sandbox never runs in production; remove this setting");
  }
  // --- end merchant UI ---

  // --- production install (issue 15) ---
  if (isProduction && !raw.DATABASE_URL && !raw.SUPABASE_URL && !raw.ALLOW_PGLITE_IN_PRODUCTION) {
    problems.push(
      "DATABASE_URL: required in production (or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY). Without one the app would use " +
        "the embedded PGlite, keeping every shop's offline token on this instance's disk, which most hosts wipe at the next " +
        "deploy (every shop would have to reinstall), for one process only. To run on it anyway (one instance, persistent " +
        "volume at PGLITE_DIR), set ALLOW_PGLITE_IN_PRODUCTION=1",
    );
  }
  // --- end production install ---

  let sessionSecret = raw.SESSION_SECRET;
  let encryptionKey = raw.TOKEN_ENCRYPTION_KEY;
  let devSecretsFile: string | null = null;
  if (isProduction) {
    if (!sessionSecret) problems.push("SESSION_SECRET: required in production (openssl rand -base64 32)");
    if (!encryptionKey) problems.push("TOKEN_ENCRYPTION_KEY: required in production (openssl rand -base64 32)");
    if (!resolveAppUrl(raw)) problems.push("APP_URL: required in production (the public https URL of the app)");
    // --- production safety (issue 13) ---
    for (const secret of sessionSecret ?? []) {
      const weak = weakSecretReason(secret);
      if (weak) problems.push(`SESSION_SECRET: too predictable (${weak}); use a random one (openssl rand -base64 32)`);
    }
    for (const key of encryptionKey ?? []) {
      const weak = weakKeyReason(key);
      if (weak) problems.push(`TOKEN_ENCRYPTION_KEY: not a random key (${weak}); use openssl rand -base64 32`);
    }
    const publicUrl = resolveAppUrl(raw);
    if (publicUrl) {
      const url = new URL(publicUrl);
      if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackUrl(url))) {
        problems.push(
          "APP_URL: must be https in production (http only on loopback): session cookies are Secure and the admins frame only https",
        );
      }
    }
    // --- end production safety ---
  } else if (!sessionSecret || !encryptionKey) {
    devSecretsFile = path.resolve(
      raw.NODE_ENV === "test" ? path.join(".data", "test-secrets.json") : path.join(".data", "dev-secrets.json"),
    );
    const dev = loadOrCreateDevSecrets(devSecretsFile);
    sessionSecret ??= [dev.SESSION_SECRET];
    encryptionKey ??= [parseKey(dev.TOKEN_ENCRYPTION_KEY) as Buffer];
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const port = raw.PORT ?? raw.FRONTEND_PORT ?? 3000;
  const appUrl = (resolveAppUrl(raw) ?? `http://localhost:${port || 3000}`).replace(/\/+$/, "");
  return {
    ...raw,
    PORT: port,
    SHOPIFY_SCOPES: raw.SCOPES ?? raw.SHOPIFY_SCOPES ?? "read_products",
    APP_URL: appUrl,
    SANDBOX_ADMIN_URL: raw.SANDBOX_ADMIN_URL ? new URL(raw.SANDBOX_ADMIN_URL).origin : undefined,
    SESSION_SECRET: sessionSecret as string[],
    TOKEN_ENCRYPTION_KEY: encryptionKey as Buffer[],
    isProduction,
    devSecretsFile,
    databaseBackend: raw.SUPABASE_URL ? "supabase" : raw.DATABASE_URL ? "postgres" : "pglite",
  };
}

let cached: Env | undefined;

/** The settings of this process, parsed on first use. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

/** Tests and scripts that change process.env call this to parse again. */
export function resetEnv(): void {
  cached = undefined;
}
