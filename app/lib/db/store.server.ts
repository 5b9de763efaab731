/**
 * The typed face of the database: one method per SQL function, results
 * validated with zod. Written once over `Database`, so PGlite, Postgres and
 * the Supabase adapter return the same records (dates as Date, counts as
 * numbers) whatever their drivers hand back.
 */
import { z } from "zod";
import type { Database } from "./types";

const date = z.coerce.date();
const nullableDate = z.preprocess((v) => (v === null || v === undefined ? null : v), z.coerce.date().nullable());
const count = z.coerce.number().int().nonnegative();

export const platformSchema = z.enum(["shopify", "commerce7"]);
export type Platform = z.infer<typeof platformSchema>;
export const themeSchema = z.enum(["light", "dark"]);
export type Theme = z.infer<typeof themeSchema>;

export const clientSchema = z
  .object({
    id: z.uuid(),
    platform: platformSchema,
    external_id: z.string(),
    organization_name: z.string().nullable(),
    install_state: z.enum(["installed", "uninstalled"]),
    installed_at: nullableDate,
    uninstalled_at: nullableDate,
    created_at: date,
    updated_at: date,
  })
  .transform((r) => ({
    id: r.id,
    platform: r.platform,
    externalId: r.external_id,
    organizationName: r.organization_name,
    installState: r.install_state,
    installedAt: r.installed_at,
    uninstalledAt: r.uninstalled_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
export type Client = z.output<typeof clientSchema>;

export const appSessionSchema = z
  .object({
    id: z.uuid(),
    client_id: z.uuid(),
    platform: platformSchema,
    client_external_id: z.string(),
    organization_name: z.string().nullable(),
    install_state: z.enum(["installed", "uninstalled"]),
    user_id: z.string().nullable(),
    user_name: z.string().nullable(),
    user_email: z.string().nullable(),
    theme: themeSchema,
    ip_address: z.string().nullable(),
    user_agent: z.string().nullable(),
    remember_me: z.boolean(),
    data: z.record(z.string(), z.unknown()),
    idle_timeout_seconds: count,
    last_activity_at: date,
    idle_expires_at: date,
    expires_at: date,
    revoked_at: nullableDate,
    revoked_reason: z.string().nullable(),
    created_at: date,
    updated_at: date,
    csrf_token: z.string().min(32),
  })
  .transform((r) => ({
    id: r.id,
    clientId: r.client_id,
    platform: r.platform,
    clientExternalId: r.client_external_id,
    organizationName: r.organization_name,
    installState: r.install_state,
    userId: r.user_id,
    userName: r.user_name,
    userEmail: r.user_email,
    theme: r.theme,
    ipAddress: r.ip_address,
    userAgent: r.user_agent,
    rememberMe: r.remember_me,
    data: r.data,
    idleTimeoutSeconds: r.idle_timeout_seconds,
    lastActivityAt: r.last_activity_at,
    idleExpiresAt: r.idle_expires_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokedReason: r.revoked_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    /** The session's CSRF synchronizer token (rendered into forms; never a credential by itself). */
    csrfToken: r.csrf_token,
  }));
export type AppSessionRecord = z.output<typeof appSessionSchema>;

export const validationStatusSchema = z.enum(["valid", "unknown", "revoked", "expired", "idle"]);
export type ValidationStatus = z.infer<typeof validationStatusSchema>;

const touchSchema = z
  .object({ last_activity_at: date, idle_expires_at: date, updated_at: date })
  .transform((r) => ({ lastActivityAt: r.last_activity_at, idleExpiresAt: r.idle_expires_at, updatedAt: r.updated_at }));

const cleanupSchema = z.object({
  app_sessions_removed: count,
  session_events_removed: count,
  oauth_states_removed: count,
  rate_limit_counters_removed: count,
  webhook_deliveries_removed: count,
});

const exclusiveCleanupSchema = cleanupSchema.extend({ status: z.enum(["ran", "skipped"]) });

const rateLimitHitSchema = z
  .object({
    bucket: z.string(),
    hits: count,
    max_hits: count,
    allowed: z.boolean(),
    retry_after_seconds: count,
  })
  .transform((r) => ({
    bucket: r.bucket,
    hits: r.hits,
    limit: r.max_hits,
    allowed: r.allowed,
    retryAfterSeconds: r.retry_after_seconds,
  }));
export type RateLimitHit = z.output<typeof rateLimitHitSchema>;

const sessionStatsSchema = z
  .object({
    platform: platformSchema,
    clients_installed: count,
    active_sessions: count,
    ended_sessions: count,
  })
  .transform((r) => ({
    platform: r.platform,
    clientsInstalled: r.clients_installed,
    activeSessions: r.active_sessions,
    endedSessions: r.ended_sessions,
  }));
export type SessionStats = z.output<typeof sessionStatsSchema>;

const commerce7InstallSchema = z.object({
  client_id: z.uuid(),
  platform_session_id: z.string(),
  already_installed: z.boolean(),
});

const uninstallSchema = z.object({
  client_id: z.uuid(),
  app_sessions_removed: count,
  platform_sessions_removed: count,
});

export interface NewAppSession {
  tokenHash: string;
  clientId: string;
  ttlSeconds: number;
  idleTimeoutSeconds: number;
  userId?: string | null;
  userName?: string | null;
  userEmail?: string | null;
  theme?: Theme;
  ipAddress?: string | null;
  userAgent?: string | null;
  rememberMe?: boolean;
  data?: Record<string, unknown>;
}

export interface AppSessionPatch {
  theme?: Theme;
  userName?: string;
  userEmail?: string;
  /** Merged into the session's data. */
  data?: Record<string, unknown>;
}

export interface RevokeScope {
  clientId: string;
  userId?: string | null;
  sessionId?: string | null;
  exceptSessionId?: string | null;
  reason?: string;
}

export interface CleanupCounts {
  appSessions: number;
  sessionEvents: number;
  oauthStates: number;
  rateLimitCounters: number;
  webhookDeliveries: number;
}

export interface CleanupBatchOptions {
  batchSize: number;
  eventRetentionDays: number;
}

/** One limit to count a hit against: `limit` hits per `windowSeconds` for `key` in `bucket`. */
export interface RateLimitRule {
  bucket: string;
  key: string;
  limit: number;
  windowSeconds: number;
}

export interface BindingChange {
  sessionId: string;
  event: "suspicious" | "ip_changed";
  ipAddress: string | null;
  userAgent: string | null;
  revoke: boolean;
  detail?: Record<string, unknown>;
}

export interface SessionEvent {
  event: string;
  clientId?: string | null;
  sessionId?: string | null;
  userId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
}

// --- Shopify app sessions, keyed by the session token's sid -------------------

export const shopifyTokenSessionStatusSchema = z.enum(["valid", "rotated", "created", "revoked", "not_installed", "user_mismatch"]);
export type ShopifyTokenSessionStatus = z.infer<typeof shopifyTokenSessionStatusSchema>;

const shopifyTokenSessionSchema = z.object({
  status: shopifyTokenSessionStatusSchema,
  session: appSessionSchema.nullable(),
});

export interface ShopifyTokenSessionInput {
  shop: string;
  sid: string;
  userId: string;
  /** Hex SHA-256 of a token the app just minted. */
  tokenHash: string;
  /** A document entry (rotates a live session, replaces a revoked one) rather than a bearer request. */
  entry: boolean;
  ttlSeconds: number;
  idleTimeoutSeconds: number;
  touchIntervalSeconds: number;
  ipAddress?: string | null;
  userAgent?: string | null;
}

// --- the one-time handoff of a session token to the page (cookie-less mode) ----

export const handoffStatusSchema = z.enum(["redeemed", "unknown", "code_expired", "revoked", "expired", "idle"]);
export type HandoffStatus = z.infer<typeof handoffStatusSchema>;

const handoffRedemptionSchema = z.object({
  status: handoffStatusSchema,
  cookie_matched: z.boolean(),
  session: appSessionSchema.nullable(),
});

export interface HandoffRedemption {
  status: HandoffStatus;
  /** The request's cookie carried this session's token until now: the browser kept the entry's cookie. */
  cookieMatched: boolean;
  /** With "redeemed" (the rotated session) and with a session's end (revoked, expired, idle). */
  session: AppSessionRecord | null;
}

// --- platform sessions (Shopify's SessionStorage shape; tokens arrive encrypted) ---

export const platformSessionRowSchema = z
  .object({
    id: z.string(),
    client_id: z.uuid(),
    platform: platformSchema,
    shop: z.string(),
    is_online: z.boolean(),
    state: z.string().nullable(),
    scope: z.string().nullable(),
    expires_at: nullableDate,
    access_token_enc: z.string().nullable(),
    refresh_token_enc: z.string().nullable(),
    refresh_token_expires_at: nullableDate,
    user_id: z.string().nullable(),
    online_access_info: z.record(z.string(), z.unknown()).nullable(),
    updated_at: date,
  })
  .transform((r) => ({
    id: r.id,
    clientId: r.client_id,
    platform: r.platform,
    shop: r.shop,
    isOnline: r.is_online,
    state: r.state,
    scope: r.scope,
    expiresAt: r.expires_at,
    accessTokenEnc: r.access_token_enc,
    refreshTokenEnc: r.refresh_token_enc,
    refreshTokenExpiresAt: r.refresh_token_expires_at,
    userId: r.user_id,
    onlineAccessInfo: r.online_access_info,
    updatedAt: r.updated_at,
  }));
export type PlatformSessionRow = z.output<typeof platformSessionRowSchema>;

export interface PlatformSessionInput {
  id: string;
  platform: Platform;
  shop: string;
  isOnline: boolean;
  state?: string | null;
  scope?: string | null;
  expiresAt?: Date | null;
  accessTokenEnc?: string | null;
  refreshTokenEnc?: string | null;
  refreshTokenExpiresAt?: Date | null;
  userId?: string | null;
  onlineAccessInfo?: Record<string, unknown> | null;
}

function platformSessionParams(input: PlatformSessionInput, now: Date) {
  return {
    p_id: input.id,
    p_platform: input.platform,
    p_shop: input.shop,
    p_is_online: input.isOnline,
    p_state: input.state ?? null,
    p_scope: input.scope ?? null,
    p_expires_at: input.expiresAt ?? null,
    p_access_token_enc: input.accessTokenEnc ?? null,
    p_refresh_token_enc: input.refreshTokenEnc ?? null,
    p_refresh_token_expires_at: input.refreshTokenExpiresAt ?? null,
    p_user_id: input.userId ?? null,
    p_online_access_info: input.onlineAccessInfo ?? null,
    p_now: now,
  };
}

function cleanupCounts(r: z.output<typeof cleanupSchema>): CleanupCounts {
  return {
    appSessions: r.app_sessions_removed,
    sessionEvents: r.session_events_removed,
    oauthStates: r.oauth_states_removed,
    rateLimitCounters: r.rate_limit_counters_removed,
    webhookDeliveries: r.webhook_deliveries_removed,
  };
}

function one<T>(rows: T[]): T | null {
  return rows[0] ?? null;
}

export class Store {
  constructor(readonly db: Database) {}

  get kind() {
    return this.db.kind;
  }

  ping() {
    return this.db.ping();
  }

  /**
   * The migrations this database has applied (supabase/migrations versions),
   * or null when it predates the function that tells (never migrated, or
   * migrated before 20261206300000): then it is behind whatever the build has.
   */
  async appliedMigrations(): Promise<string[] | null> {
    try {
      return z.array(z.string()).parse(await this.db.scalar("applied_migrations", {}));
    } catch (error) {
      // 42883 undefined_function (Postgres, PGlite); PGRST202 function not found (PostgREST); 3F000 no schema.
      const code = (error as { code?: unknown }).code;
      if (code === "42883" || code === "PGRST202" || code === "3F000" || code === "42P01") return null;
      throw error;
    }
  }

  // --- app sessions -------------------------------------------------------

  async createAppSession(input: NewAppSession, now: Date): Promise<AppSessionRecord> {
    const rows = await this.db.rows("create_app_session", {
      p_token_hash: input.tokenHash,
      p_client_id: input.clientId,
      p_ttl_seconds: Math.round(input.ttlSeconds),
      p_idle_timeout_seconds: Math.round(input.idleTimeoutSeconds),
      p_user_id: input.userId ?? null,
      p_user_name: input.userName ?? null,
      p_user_email: input.userEmail ?? null,
      p_theme: input.theme ?? "light",
      p_ip_address: input.ipAddress ?? null,
      p_user_agent: input.userAgent ?? null,
      p_remember_me: input.rememberMe ?? false,
      p_data: input.data ?? {},
      p_now: now,
    });
    return appSessionSchema.parse(rows[0]);
  }

  async validateAppSession(
    tokenHash: string,
    touchIntervalSeconds: number,
    now: Date,
  ): Promise<{ status: ValidationStatus; session: AppSessionRecord | null }> {
    // The read is a plain indexed lookup (app_session_check, inlined by the
    // planner); the activity write is a second call made only when the read
    // says it is due, at most once per touch interval per session.
    const [row] = await this.db.rows("app_session_check", {
      p_token_hash: tokenHash,
      p_touch_interval_seconds: touchIntervalSeconds,
      p_now: now,
    });
    if (!row) return { status: "unknown", session: null };
    const status = validationStatusSchema.parse(row.status);
    const session = appSessionSchema.parse(row);
    if (row.touch_due === true) {
      const [touched] = await this.db.rows("touch_app_session", {
        p_session_id: session.id,
        p_touch_interval_seconds: touchIntervalSeconds,
        p_now: now,
      });
      if (touched) Object.assign(session, touchSchema.parse(touched));
    }
    return { status, session };
  }

  async updateAppSession(sessionId: string, patch: AppSessionPatch, now: Date): Promise<AppSessionRecord | null> {
    const rows = await this.db.rows("update_app_session", {
      p_session_id: sessionId,
      p_theme: patch.theme ?? null,
      p_user_name: patch.userName ?? null,
      p_user_email: patch.userEmail ?? null,
      p_data: patch.data ?? null,
      p_now: now,
    });
    return one(rows.map((r) => appSessionSchema.parse(r)));
  }

  async rotateAppSession(
    sessionId: string,
    newTokenHash: string,
    lifetimes: { ttlSeconds: number; idleTimeoutSeconds: number; rememberMe: boolean },
    now: Date,
  ): Promise<AppSessionRecord | null> {
    const rows = await this.db.rows("rotate_app_session", {
      p_session_id: sessionId,
      p_new_token_hash: newTokenHash,
      p_ttl_seconds: Math.round(lifetimes.ttlSeconds),
      p_idle_timeout_seconds: Math.round(lifetimes.idleTimeoutSeconds),
      p_remember_me: lifetimes.rememberMe,
      p_now: now,
    });
    return one(rows.map((r) => appSessionSchema.parse(r)));
  }

  async destroyAppSession(sessionId: string, reason: string, now: Date): Promise<number> {
    return count.parse(
      await this.db.scalar("destroy_app_session", { p_session_id: sessionId, p_reason: reason, p_now: now }),
    );
  }

  async revokeAppSessions(scope: RevokeScope, now: Date): Promise<number> {
    return count.parse(
      await this.db.scalar("revoke_app_sessions", {
        p_client_id: scope.clientId,
        p_user_id: scope.userId ?? null,
        p_session_id: scope.sessionId ?? null,
        p_except_session_id: scope.exceptSessionId ?? null,
        p_reason: scope.reason ?? "revoked",
        p_now: now,
      }),
    );
  }

  async listAppSessions(clientId: string, userId: string | null, now: Date): Promise<AppSessionRecord[]> {
    const rows = await this.db.rows("list_app_sessions", { p_client_id: clientId, p_user_id: userId, p_now: now });
    return rows.map((r) => appSessionSchema.parse(r));
  }

  /**
   * The live sessions the session `sessionId` may see: its own user's in its
   * own client, or only itself when it has no user; none when it is not live.
   */
  async listOwnAppSessions(sessionId: string, now: Date): Promise<AppSessionRecord[]> {
    const rows = await this.db.rows("list_own_app_sessions", { p_session_id: sessionId, p_now: now });
    return rows.map((r) => appSessionSchema.parse(r));
  }

  /**
   * Revoke one (`targetSessionId`) or all other sessions of the session
   * `sessionId`'s own user, never anyone else's and never itself.
   */
  async revokeOwnAppSessions(
    sessionId: string,
    targetSessionId: string | null,
    reason: string,
    now: Date,
  ): Promise<number> {
    return count.parse(
      await this.db.scalar("revoke_own_app_sessions", {
        p_session_id: sessionId,
        p_target_session_id: targetSessionId,
        p_reason: reason,
        p_now: now,
      }),
    );
  }

  /** Give a live session a handoff code (its hex SHA-256); false when the session has ended. */
  async issueAppSessionHandoff(sessionId: string, codeHash: string, ttlSeconds: number, now: Date): Promise<boolean> {
    return z.boolean().parse(
      await this.db.scalar("issue_app_session_handoff", {
        p_session_id: sessionId,
        p_code_hash: codeHash,
        p_ttl_seconds: Math.round(ttlSeconds),
        p_now: now,
      }),
    );
  }

  /** Spend a handoff code and rotate its session to `newTokenHash`, in one statement. */
  async redeemAppSessionHandoff(
    input: { codeHash: string; newTokenHash: string; cookieTokenHash: string | null },
    now: Date,
  ): Promise<HandoffRedemption> {
    const rows = await this.db.rows("redeem_app_session_handoff", {
      p_code_hash: input.codeHash,
      p_new_token_hash: input.newTokenHash,
      p_cookie_token_hash: input.cookieTokenHash,
      p_now: now,
    });
    const r = handoffRedemptionSchema.parse(rows[0]);
    return { status: r.status, cookieMatched: r.cookie_matched, session: r.session };
  }

  /** Removes ONE batch; callers loop (see cleanupExpiredSessions in cleanup.server.ts). */
  async cleanupBatch(options: CleanupBatchOptions, now: Date): Promise<CleanupCounts> {
    const rows = await this.db.rows("cleanup_expired_sessions", {
      p_batch_size: options.batchSize,
      p_event_retention_days: options.eventRetentionDays,
      p_now: now,
    });
    return cleanupCounts(cleanupSchema.parse(rows[0]));
  }

  /**
   * One batch, unless another holder is cleaning (advisory lock) or holds the
   * cleanup lease: then "skipped" and nothing is removed.
   */
  async cleanupBatchExclusive(
    options: CleanupBatchOptions & { holder: string; leaseSeconds: number },
    now: Date,
  ): Promise<CleanupCounts & { status: "ran" | "skipped" }> {
    const rows = await this.db.rows("cleanup_expired_sessions_exclusive", {
      p_holder: options.holder,
      p_lease_seconds: Math.round(options.leaseSeconds),
      p_batch_size: options.batchSize,
      p_event_retention_days: options.eventRetentionDays,
      p_now: now,
    });
    const r = exclusiveCleanupSchema.parse(rows[0]);
    return { status: r.status, ...cleanupCounts(r) };
  }

  async recordSessionEvent(event: SessionEvent, now: Date): Promise<void> {
    await this.db.scalar("record_session_event", {
      p_event: event.event,
      p_client_id: event.clientId ?? null,
      p_session_id: event.sessionId ?? null,
      p_user_id: event.userId ?? null,
      p_ip_address: event.ipAddress ?? null,
      p_user_agent: event.userAgent ?? null,
      p_detail: event.detail ?? {},
      p_now: now,
    });
  }

  /** Record an event for a session unless it already has one of that kind; true when written. */
  async recordSessionEventOnce(event: SessionEvent & { sessionId: string }, now: Date): Promise<boolean> {
    return z.boolean().parse(
      await this.db.scalar("record_session_event_once", {
        p_event: event.event,
        p_session_id: event.sessionId,
        p_client_id: event.clientId ?? null,
        p_user_id: event.userId ?? null,
        p_ip_address: event.ipAddress ?? null,
        p_user_agent: event.userAgent ?? null,
        p_detail: event.detail ?? {},
        p_now: now,
      }),
    );
  }

  /** Hijack policy: record a user-agent / IP change once per new value pair, or revoke the session. */
  async noteSessionBindingChange(
    change: BindingChange,
    now: Date,
  ): Promise<"recorded" | "already_recorded" | "revoked" | "not_live"> {
    return z.enum(["recorded", "already_recorded", "revoked", "not_live"]).parse(
      await this.db.scalar("note_session_binding_change", {
        p_session_id: change.sessionId,
        p_event: change.event,
        p_ip_address: change.ipAddress,
        p_user_agent: change.userAgent,
        p_revoke: change.revoke,
        p_detail: change.detail ?? {},
        p_now: now,
      }),
    );
  }

  /** Revoke one session by id, whatever its client: null when there is no such session. */
  async revokeAppSessionById(sessionId: string, reason: string, now: Date): Promise<number | null> {
    return count
      .nullable()
      .parse(await this.db.scalar("revoke_app_session_by_id", { p_session_id: sessionId, p_reason: reason, p_now: now }));
  }

  /** Installed clients, live and ended-but-not-cleaned sessions, per platform. */
  async sessionStats(now: Date): Promise<SessionStats[]> {
    const rows = await this.db.rows("session_stats", { p_now: now });
    return rows.map((r) => sessionStatsSchema.parse(r));
  }

  // --- rate limits --------------------------------------------------------

  /** Count one hit against each rule (one round trip) and say which are still within their limit. */
  hitRateLimits(rules: RateLimitRule[], now: Date): Promise<RateLimitHit[]> {
    return this.rateLimits("hit_rate_limits", rules, now);
  }

  /** Where each rule stands, without counting a hit (failure throttles look before they trust). */
  peekRateLimits(rules: RateLimitRule[], now: Date): Promise<RateLimitHit[]> {
    return this.rateLimits("peek_rate_limits", rules, now);
  }

  private async rateLimits(fn: "hit_rate_limits" | "peek_rate_limits", rules: RateLimitRule[], now: Date): Promise<RateLimitHit[]> {
    if (rules.length === 0) return [];
    const rows = await this.db.rows(fn, {
      p_buckets: rules.map((r) => r.bucket),
      p_keys: rules.map((r) => r.key),
      p_limits: rules.map((r) => r.limit),
      p_window_seconds: rules.map((r) => r.windowSeconds),
      p_now: now,
    });
    return rows.map((r) => rateLimitHitSchema.parse(r));
  }

  // --- OAuth state nonces -------------------------------------------------

  async createOAuthState(
    input: { stateHash: string; platform: Platform; shop: string; ttlSeconds: number },
    now: Date,
  ): Promise<void> {
    await this.db.scalar("create_oauth_state", {
      p_state_hash: input.stateHash,
      p_platform: input.platform,
      p_shop: input.shop,
      p_ttl_seconds: input.ttlSeconds,
      p_now: now,
    });
  }

  /** True exactly once for a live nonce issued for this platform and shop. */
  async consumeOAuthState(input: { stateHash: string; platform: Platform; shop: string }, now: Date): Promise<boolean> {
    return z.boolean().parse(
      await this.db.scalar("consume_oauth_state", {
        p_state_hash: input.stateHash,
        p_platform: input.platform,
        p_shop: input.shop,
        p_now: now,
      }),
    );
  }

  // --- clients ------------------------------------------------------------

  async upsertClient(
    input: { platform: Platform; externalId: string; organizationName?: string | null },
    now: Date,
  ): Promise<Client> {
    const rows = await this.db.rows("upsert_client", {
      p_platform: input.platform,
      p_external_id: input.externalId,
      p_organization_name: input.organizationName ?? null,
      p_now: now,
    });
    return clientSchema.parse(rows[0]);
  }

  async findClient(platform: Platform, externalId: string): Promise<Client | null> {
    const rows = await this.db.rows("find_client", { p_platform: platform, p_external_id: externalId });
    return one(rows.map((r) => clientSchema.parse(r)));
  }

  async getClient(clientId: string): Promise<Client | null> {
    const rows = await this.db.rows("get_client", { p_client_id: clientId });
    return one(rows.map((r) => clientSchema.parse(r)));
  }

  async updateClient(clientId: string, organizationName: string | null, now: Date): Promise<Client | null> {
    const rows = await this.db.rows("update_client", {
      p_client_id: clientId,
      p_organization_name: organizationName,
      p_now: now,
    });
    return one(rows.map((r) => clientSchema.parse(r)));
  }

  async uninstallClient(
    platform: Platform,
    externalId: string,
    now: Date,
  ): Promise<{ clientId: string; appSessions: number; platformSessions: number } | null> {
    const rows = await this.db.rows("uninstall_client", {
      p_platform: platform,
      p_external_id: externalId,
      p_now: now,
    });
    if (rows.length === 0) return null;
    const r = uninstallSchema.parse(rows[0]);
    return { clientId: r.client_id, appSessions: r.app_sessions_removed, platformSessions: r.platform_sessions_removed };
  }

  /** Commerce7 activation: client + installation record (no secret) + audit row, in one round trip. */
  async installCommerce7Tenant(
    input: { tenantId: string; organizationName?: string | null; userId?: string | null; data?: Record<string, unknown> },
    now: Date,
  ): Promise<{ clientId: string; platformSessionId: string; alreadyInstalled: boolean }> {
    const rows = await this.db.rows("install_commerce7_tenant", {
      p_tenant_id: input.tenantId,
      p_organization_name: input.organizationName ?? null,
      p_user_id: input.userId ?? null,
      p_data: input.data ?? {},
      p_now: now,
    });
    const r = commerce7InstallSchema.parse(rows[0]);
    return { clientId: r.client_id, platformSessionId: r.platform_session_id, alreadyInstalled: r.already_installed };
  }

  async deleteClient(platform: Platform, externalId: string): Promise<number> {
    return count.parse(await this.db.scalar("delete_client", { p_platform: platform, p_external_id: externalId }));
  }

  // --- Shopify app sessions -----------------------------------------------

  /** The app session for a verified Shopify session token (find, rotate or create by sid), in one round trip. */
  async shopifyAppSessionForToken(
    input: ShopifyTokenSessionInput,
    now: Date,
  ): Promise<{ status: ShopifyTokenSessionStatus; session: AppSessionRecord | null }> {
    const rows = await this.db.rows("shopify_app_session_for_token", {
      p_shop: input.shop,
      p_sid: input.sid,
      p_user_id: input.userId,
      p_token_hash: input.tokenHash,
      p_entry: input.entry,
      p_ttl_seconds: Math.round(input.ttlSeconds),
      p_idle_timeout_seconds: Math.round(input.idleTimeoutSeconds),
      p_touch_interval_seconds: input.touchIntervalSeconds,
      p_ip_address: input.ipAddress ?? null,
      p_user_agent: input.userAgent ?? null,
      p_now: now,
    });
    return shopifyTokenSessionSchema.parse(rows[0]);
  }

  // --- Shopify webhooks -----------------------------------------------------

  /** Apply one webhook delivery once: 'processed', 'duplicate' (applied before) or 'stale' (an uninstall older than the current install). */
  async processShopifyWebhook(
    input: { webhookId: string; topic: string; shop: string; scope?: string | null; triggeredAt?: Date | null },
    now: Date,
  ): Promise<"processed" | "duplicate" | "stale"> {
    return z.enum(["processed", "duplicate", "stale"]).parse(
      await this.db.scalar("process_shopify_webhook", {
        p_webhook_id: input.webhookId,
        p_topic: input.topic,
        p_shop: input.shop,
        p_scope: input.scope ?? null,
        p_triggered_at: input.triggeredAt ?? null,
        p_now: now,
      }),
    );
  }

  // --- platform sessions ----------------------------------------------------

  /** Insert or replace, recording the shop as installed (creating or reinstalling its client row). */
  async storePlatformSession(input: PlatformSessionInput, now: Date): Promise<boolean> {
    return z.boolean().parse(await this.db.scalar("store_platform_session", platformSessionParams(input, now)));
  }

  /** Insert or replace only while the shop is installed; false (nothing stored) otherwise: the refresh path's race guard. */
  async storePlatformSessionIfInstalled(input: PlatformSessionInput, now: Date): Promise<boolean> {
    return z.boolean().parse(await this.db.scalar("store_platform_session_if_installed", platformSessionParams(input, now)));
  }

  async loadPlatformSession(id: string): Promise<PlatformSessionRow | null> {
    const rows = await this.db.rows("load_platform_session", { p_id: id });
    return one(rows.map((r) => platformSessionRowSchema.parse(r)));
  }

  async deletePlatformSessions(ids: string[]): Promise<number> {
    return count.parse(await this.db.scalar("delete_platform_sessions", { p_ids: ids }));
  }

  async findPlatformSessionsByShop(platform: Platform, shop: string): Promise<PlatformSessionRow[]> {
    const rows = await this.db.rows("find_platform_sessions_by_shop", { p_platform: platform, p_shop: shop });
    return rows.map((r) => platformSessionRowSchema.parse(r));
  }

  /** True for exactly one caller while the lease runs, if the session still expires when the caller saw it. */
  async claimPlatformSessionRefresh(
    input: { id: string; expectedExpiresAt: Date | null; leaseSeconds: number },
    now: Date,
  ): Promise<boolean> {
    return z.boolean().parse(
      await this.db.scalar("claim_platform_session_refresh", {
        p_id: input.id,
        p_expected_expires_at: input.expectedExpiresAt,
        p_lease_seconds: input.leaseSeconds,
        p_now: now,
      }),
    );
  }
}
