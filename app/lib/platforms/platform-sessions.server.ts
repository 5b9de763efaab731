/**
 * Platform sessions (`platform_sessions`): how the app calls a platform's
 * API. This is Shopify's `SessionStorage` interface (the one every
 * @shopify/shopify-app-session-storage-* adapter implements, so the same
 * table can back @shopify/shopify-app-remix: storeSession means "this shop
 * is installed", as it does to every caller of that interface) over our SQL
 * functions, with
 * the access and refresh tokens encrypted before they leave the process
 * (app/lib/platforms/token-encryption.server.ts). Nothing here is ever sent to a
 * browser.
 */
import { Session } from "@shopify/shopify-api";
// Type only: the interface as Shopify publishes it, so a change there fails our typecheck.
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import type { Platform, PlatformSessionInput, PlatformSessionRow, Store } from "~/lib/db/store.server";
import { logger } from "~/lib/log.server";
import { decryptToken, encryptToken, TokenDecryptionError } from "~/lib/platforms/token-encryption.server";

export interface PlatformSessionStorageOptions {
  platform?: Platform;
  /** The encryption keys, newest first (default: TOKEN_ENCRYPTION_KEY). */
  keys?: () => Buffer[];
  store?: () => Promise<Store>;
}

/** Where a token is stored, bound into its ciphertext. */
function tokenContext(sessionId: string, column: "access_token" | "refresh_token"): string {
  return `platform_sessions:${sessionId}:${column}`;
}

export class PlatformSessionStorage implements SessionStorage {
  private readonly platform: Platform;
  private readonly keys: (() => Buffer[]) | undefined;
  private readonly store: () => Promise<Store>;

  constructor(options: PlatformSessionStorageOptions = {}) {
    this.platform = options.platform ?? "shopify";
    this.keys = options.keys;
    this.store = options.store ?? getStore;
  }

  private encrypt(value: string | undefined, sessionId: string, column: "access_token" | "refresh_token") {
    return value ? encryptToken(value, tokenContext(sessionId, column), this.keys?.()) : null;
  }

  private decrypt(value: string | null, sessionId: string, column: "access_token" | "refresh_token") {
    return value ? decryptToken(value, tokenContext(sessionId, column), this.keys?.()) : undefined;
  }

  /** Stores the session and records its shop as installed (creating or reinstalling the client row). Always true. */
  async storeSession(session: Session): Promise<boolean> {
    return (await this.store()).storePlatformSession(this.toInput(session), now());
  }

  /**
   * The app's own token refresh: stores the session only while its shop is
   * still installed; false (nothing stored) when an uninstall got there
   * first, so a refresh finishing late cannot reinstall an uninstalled shop.
   */
  async storeSessionIfInstalled(session: Session): Promise<boolean> {
    return (await this.store()).storePlatformSessionIfInstalled(this.toInput(session), now());
  }

  private toInput(session: Session): PlatformSessionInput {
    const userId = session.onlineAccessInfo?.associated_user?.id;
    return {
      id: session.id,
      platform: this.platform,
      shop: session.shop,
      isOnline: session.isOnline,
      state: session.state || null,
      scope: session.scope ?? null,
      expiresAt: session.expires ?? null,
      accessTokenEnc: this.encrypt(session.accessToken, session.id, "access_token"),
      refreshTokenEnc: this.encrypt(session.refreshToken, session.id, "refresh_token"),
      refreshTokenExpiresAt: session.refreshTokenExpires ?? null,
      userId: userId === undefined ? null : String(userId),
      onlineAccessInfo: (session.onlineAccessInfo as Record<string, unknown> | undefined) ?? null,
    };
  }

  /**
   * The session, or undefined. A session whose tokens no configured key
   * decrypts (its key was removed from TOKEN_ENCRYPTION_KEY too early) is
   * treated as absent, so the app obtains a new token instead of failing.
   */
  async loadSession(id: string): Promise<Session | undefined> {
    const row = await (await this.store()).loadPlatformSession(id);
    return row ? (this.toSession(row) ?? undefined) : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.deleteSessions([id]);
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    await (await this.store()).deletePlatformSessions(ids);
    return true;
  }

  async findSessionsByShop(shop: string): Promise<Session[]> {
    const rows = await (await this.store()).findPlatformSessionsByShop(this.platform, shop);
    return rows.map((row) => this.toSession(row)).filter((s): s is Session => s !== null);
  }

  private toSession(row: PlatformSessionRow): Session | null {
    try {
      return new Session({
        id: row.id,
        shop: row.shop,
        state: row.state ?? "",
        isOnline: row.isOnline,
        scope: row.scope ?? undefined,
        expires: row.expiresAt ?? undefined,
        accessToken: this.decrypt(row.accessTokenEnc, row.id, "access_token"),
        refreshToken: this.decrypt(row.refreshTokenEnc, row.id, "refresh_token"),
        refreshTokenExpires: row.refreshTokenExpiresAt ?? undefined,
        ...(row.onlineAccessInfo ? { onlineAccessInfo: row.onlineAccessInfo as unknown as Session["onlineAccessInfo"] } : {}),
      });
    } catch (error) {
      if (!(error instanceof TokenDecryptionError)) throw error;
      logger.warn(
        { event: "platform_session.undecryptable", sessionId: row.id, reason: error.reason, keyId: error.keyId },
        "platform session tokens could not be decrypted; treating the session as absent",
      );
      return null;
    }
  }
}

/** Shopify's sessions in `platform_sessions`. */
export const shopifySessionStorage = new PlatformSessionStorage({ platform: "shopify" });
