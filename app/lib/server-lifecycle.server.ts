/**
 * What server.js runs around the request handler: settings checked and the
 * database opened before the first request (a bad setting stops the process
 * with a message naming it), and resources released on shutdown.
 *
 * This is also the composition root: the one place that decides, at start-up,
 * whether the platform sandbox is plugged in (plugSandboxIfAllowed).
 */
import { startCleanupSchedule, stopCleanupSchedule } from "~/lib/operations/cleanup.server";
import { closeStore, getStore } from "~/lib/db/index.server";
import { ConfigError, env, type TrustProxy } from "~/lib/env.server";
import { logger } from "~/lib/log.server";
import { plugPlatformSandbox, sandboxAllowed } from "~/lib/platforms/plug.server";

export interface BootResult {
  port: number;
  appUrl: string;
  backend: string;
  /** Express "trust proxy": false, a hop count or the proxies' addresses (TRUST_PROXY, checked in env.server.ts). */
  trustProxy: TrustProxy;
  /** Set when development secrets were generated because none were configured. */
  devSecretsFile: string | null;
}

/**
 * Plug the platform sandbox in when the settings allow it (outside
 * production, no real platform credentials). Otherwise the sandbox's
 * modules are never imported: this dynamic import is their only way in.
 */
export async function plugSandboxIfAllowed(): Promise<boolean> {
  if (!sandboxAllowed()) return false;
  const { createSandboxPlug } = await import("~/lib/sandbox/plug.server");
  plugPlatformSandbox(createSandboxPlug());
  return true;
}

export async function boot(): Promise<BootResult> {
  const settings = env();
  if (await plugSandboxIfAllowed()) logger.info("platform sandbox plugged in: no platform credentials configured");
  const store = await getStore();
  try {
    await store.ping();
  } catch (error) {
    // A network database may come back; until it does, requests get 503.
    if (store.kind === "pglite") throw error;
    logger.warn({ backend: store.kind, err: (error as Error).message }, "database unreachable at start; serving 503 until it answers");
  }
  // SESSION_CLEANUP_CRON: cleanup in this process, one instance per tick.
  startCleanupSchedule();
  return {
    port: settings.PORT,
    appUrl: settings.APP_URL,
    backend: store.kind,
    trustProxy: settings.TRUST_PROXY,
    devSecretsFile: settings.devSecretsFile,
  };
}

export async function shutdown(): Promise<void> {
  stopCleanupSchedule();
  await closeStore();
}

export { ConfigError };
