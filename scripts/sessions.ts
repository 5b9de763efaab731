/**
 * The operator CLI: npm run sessions -- <command>
 *
 *   stats                                    sessions and clients per platform
 *   list   --client <shop|tenant|id>         a client's live sessions
 *   revoke --client <shop|tenant|id>         every session of a client
 *   revoke --client <…> --user <id>          one user's sessions at that client
 *   revoke --session <session id>            one session
 *   cleanup                                  remove dead sessions, old audit rows,
 *                                            expired nonces, closed rate-limit windows
 *                                            (also: npm run sessions:cleanup)
 *
 * --user needs --client: platform user ids are only unique within a shop or
 * tenant (and the same person may use several), so a bare user id would be
 * ambiguous; to cut a person off everywhere, revoke per client.
 *
 * Uses the database the settings select (.env is read like the server does).
 * Output is for people; --json is for scripts. Logs go to stderr (warnings
 * only, unless --verbose).
 *
 * Exit codes: 0 done · 1 failed (database unreachable, unexpected error) ·
 * 2 usage (bad or missing arguments) · 3 not found (no such client or session).
 */
import "./load-env";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import pino from "pino";
import { cleanupExpiredSessions, type CleanupResult } from "~/lib/operations/cleanup.server";
import { closeStore } from "~/lib/db/index.server";
import { DatabaseUnavailableError } from "~/lib/db/errors.server";
import { platformSchema, type Client, type Platform } from "~/lib/db/store.server";
import { ConfigError, env } from "~/lib/env.server";
import { captureLogs } from "~/lib/log.server";
import { findClientByKey, isUuid, OPERATOR_REASON, revokeSessionById, sessionStats } from "~/lib/operations/operator.server";
import { listAppSessions, revokeAppSessions } from "~/lib/sessions/core.server";

const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const usage = (message: string) => new CliError(message, EXIT.usage);

// --- output --------------------------------------------------------------------

let json = false;

function print(human: string, data: unknown): void {
  console.log(json ? JSON.stringify(data, null, 2) : human);
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

const time = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function describeClient(client: Client): string {
  return `${client.platform} ${client.platform === "shopify" ? "shop" : "tenant"} ${client.externalId}`;
}

// --- arguments -----------------------------------------------------------------

function parsePlatform(value: string): Platform {
  const parsed = platformSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`expected ${platformSchema.options.join(" or ")}.`);
  return parsed.data;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number above 0.");
  return n;
}

function parseSessionId(value: string): string {
  if (!isUuid(value)) throw new InvalidArgumentError("expected a session id (a UUID, as `list` shows it).");
  return value;
}

async function resolveClient(key: string, platform?: Platform): Promise<Client> {
  const lookup = await findClientByKey(key, platform);
  if ("found" in lookup) return lookup.found;
  if ("ambiguous" in lookup) {
    throw usage(`"${key}" is a client on ${lookup.ambiguous.map((c) => c.platform).join(" and ")}: add --platform.`);
  }
  throw new CliError(`No client "${key}"${platform ? ` on ${platform}` : ""}. Give a shop domain, a tenantId or a client id.`, EXIT.notFound);
}

// --- commands ------------------------------------------------------------------

async function stats(): Promise<void> {
  const rows = await sessionStats();
  const totals = rows.reduce(
    (t, r) => ({ clients: t.clients + r.clientsInstalled, active: t.active + r.activeSessions, ended: t.ended + r.endedSessions }),
    { clients: 0, active: 0, ended: 0 },
  );
  print(
    [
      `Database: ${env().databaseBackend}`,
      table(
        ["platform", "installed clients", "active sessions", "ended, awaiting cleanup"],
        [
          ...rows.map((r) => [r.platform, String(r.clientsInstalled), String(r.activeSessions), String(r.endedSessions)]),
          ["total", String(totals.clients), String(totals.active), String(totals.ended)],
        ],
      ),
    ].join("\n"),
    { database: env().databaseBackend, platforms: rows, totals },
  );
}

async function list(options: { client: string; platform?: Platform; user?: string }): Promise<void> {
  const client = await resolveClient(options.client, options.platform);
  const sessions = await listAppSessions(client.id, options.user ?? null);
  const heading = `${describeClient(client)} (${client.organizationName ?? "no name"}, ${client.installState}): ${plural(sessions.length, "active session")}`;
  const rows = sessions.map((s) => [
    s.id,
    s.userId ?? "-",
    s.userName ?? "-",
    s.ipAddress ?? "-",
    time(s.lastActivityAt),
    time(s.expiresAt),
    s.rememberMe ? "yes" : "no",
    (s.userAgent ?? "-").slice(0, 40),
  ]);
  print(
    sessions.length === 0
      ? heading
      : `${heading}\n${table(["session", "user id", "user", "ip", "last activity", "expires", "remember", "user agent"], rows)}`,
    {
      client,
      sessions: sessions.map((s) => ({
        id: s.id,
        userId: s.userId,
        userName: s.userName,
        ipAddress: s.ipAddress,
        userAgent: s.userAgent,
        rememberMe: s.rememberMe,
        createdAt: s.createdAt,
        lastActivityAt: s.lastActivityAt,
        expiresAt: s.expiresAt,
      })),
    },
  );
}

async function revoke(options: { client?: string; platform?: Platform; user?: string; session?: string; reason: string }): Promise<void> {
  if (options.session) {
    if (options.client || options.user) throw usage("revoke --session takes no --client or --user: a session id is enough.");
    const count = await revokeSessionById(options.session, options.reason);
    if (count === null) throw new CliError(`No session ${options.session}.`, EXIT.notFound);
    print(count === 1 ? `Revoked session ${options.session}.` : `Session ${options.session} was already revoked.`, {
      session: options.session,
      revoked: count,
    });
    return;
  }
  if (!options.client) {
    throw usage(
      options.user
        ? "revoke --user needs --client: user ids are only unique within a shop or tenant."
        : "revoke needs --client <shop|tenant|id> (optionally with --user <id>) or --session <id>.",
    );
  }
  const client = await resolveClient(options.client, options.platform);
  const count = await revokeAppSessions({ clientId: client.id, userId: options.user ?? null, reason: options.reason });
  const whose = options.user ? `user ${options.user} at ${describeClient(client)}` : describeClient(client);
  print(count === 0 ? `No active sessions of ${whose}.` : `Revoked ${plural(count, "session")} of ${whose}.`, {
    client: { id: client.id, platform: client.platform, externalId: client.externalId },
    user: options.user ?? null,
    revoked: count,
  });
}

async function cleanup(options: { batchSize?: number; retentionDays?: number }): Promise<void> {
  const result: CleanupResult = await cleanupExpiredSessions({
    trigger: "cli",
    batchSize: options.batchSize,
    eventRetentionDays: options.retentionDays,
  });
  print(
    [
      `Removed (${result.batches} batch${result.batches === 1 ? "" : "es"}):`,
      table(
        ["kind", "rows"],
        [
          ["expired app sessions", String(result.appSessions)],
          ["audit events past retention", String(result.sessionEvents)],
          ["expired OAuth nonces", String(result.oauthStates)],
          ["closed rate-limit windows", String(result.rateLimitCounters)],
          ["webhook deliveries past 7 days", String(result.webhookDeliveries)],
        ],
      ),
    ].join("\n"),
    result,
  );
}

// --- program -------------------------------------------------------------------

function program(): Command {
  const cli = new Command("sessions")
    .description("Operate app sessions: statistics, listing, revocation, cleanup.")
    .option("--json", "print JSON (for scripts)")
    .option("--verbose", "also log at info level (to stderr)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const platformOption = () =>
    new Option("--platform <platform>", "shopify or commerce7, when a shop/tenant key exists on both").argParser(parsePlatform);

  cli.command("stats").description("installed clients, active and ended sessions per platform").action(stats);
  cli
    .command("list")
    .description("a client's active sessions")
    .requiredOption("--client <key>", "shop domain, Commerce7 tenantId or client id")
    .addOption(platformOption())
    .option("--user <id>", "only this platform user's sessions")
    .action(list);
  cli
    .command("revoke")
    .description("revoke sessions: --client [--user], or --session")
    .option("--client <key>", "shop domain, Commerce7 tenantId or client id")
    .addOption(platformOption())
    .option("--user <id>", "only this platform user's sessions (needs --client)")
    .option("--session <id>", "one session, by its id", parseSessionId)
    .option("--reason <text>", "recorded in the audit trail", OPERATOR_REASON)
    .action(revoke);
  cli
    .command("cleanup")
    .description("remove dead sessions, old audit rows, expired nonces and closed rate-limit windows")
    .option("--batch-size <n>", "rows of each kind per batch (default SESSION_CLEANUP_BATCH_SIZE)", parsePositiveInt)
    .option("--retention-days <n>", "keep audit rows this many days (default SESSION_EVENT_RETENTION_DAYS)", parsePositiveInt)
    .action(cleanup);

  cli.hook("preAction", (command) => {
    const globals = command.opts<{ json?: boolean; verbose?: boolean }>();
    json = Boolean(globals.json);
    // stdout is the command's answer; logs go to stderr.
    captureLogs(pino.destination(2), globals.verbose ? env().LOG_LEVEL : "warn");
  });
  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; every other parse error is usage.
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help"
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof CliError) {
      console.error(error.message);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      return EXIT.failed;
    }
    if (error instanceof DatabaseUnavailableError) {
      const setting = { postgres: "DATABASE_URL", supabase: "SUPABASE_URL", pglite: "PGLITE_DIR" }[env().databaseBackend];
      console.error(`Cannot reach the database (${env().databaseBackend}: check ${setting}). Nothing was changed.`);
      return EXIT.failed;
    }
    console.error(`Failed: ${(error as Error).message}`);
    return EXIT.failed;
  } finally {
    await closeStore().catch(() => {});
  }
}

process.exitCode = await main(process.argv);
