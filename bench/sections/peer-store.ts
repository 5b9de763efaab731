/**
 * Platform sessions: loading a shop's offline session, our store
 * (PlatformSessionStorage: one SQL function, tokens decrypted with
 * AES-256-GCM) against Shopify's own PostgreSQL adapter
 * (@shopify/shopify-app-session-storage-postgresql 6, for shopify-api 13:
 * plain rows, tokens in clear), on the same PostgreSQL server.
 */
import { Session } from "@shopify/shopify-api";
import { PostgreSQLSessionStorage } from "@shopify/shopify-app-session-storage-postgresql";
import { now } from "~/lib/clock.server";
import { PlatformSessionStorage } from "~/lib/platforms/platform-sessions.server";
import type { BenchBackend } from "../lib/backends";
import { repeatPaired, type Figure } from "../lib/stats";

export interface PeerResult {
  store: string;
  p50: Figure;
  p99: Figure;
}

function shopSession(i: number): Session {
  const shop = `peer-${i}.myshopify.com`;
  return new Session({
    id: `offline_${shop}`,
    shop,
    state: "state",
    isOnline: false,
    scope: "read_products,write_products",
    accessToken: `shpat_${"x".repeat(26)}${String(i).padStart(6, "0")}`,
  });
}

export async function measurePeerStore(
  backend: BenchBackend,
  databaseUrl: string,
  options: { sessions: number; reps: number; samples: number; log: (line: string) => void },
): Promise<PeerResult[]> {
  const ours = new PlatformSessionStorage({ platform: "shopify", store: async () => backend.store });
  const peer = new PostgreSQLSessionStorage(databaseUrl, { sessionTableName: "shopify_sessions_peer" });
  try {
    await peer.ready;
    for (let i = 0; i < options.sessions; i++) {
      const session = shopSession(i);
      await backend.store.upsertClient({ platform: "shopify", externalId: session.shop }, now());
      if (!(await ours.storeSession(session))) throw new Error("peer bench: our store refused a session");
      await peer.storeSession(session);
    }
    const ids = Array.from({ length: 200 }, (_, k) => shopSession((k * 7919) % options.sessions).id);
    const results: PeerResult[] = [];
    // Taken in alternation, so drift hits both alike.
    const paired = await repeatPaired(
      options.reps,
      options.samples,
      (i) => ours.loadSession(ids[i % ids.length]),
      (i) => peer.loadSession(ids[i % ids.length]),
    );
    const oursFigure = paired.a;
    const peerFigure = paired.b;
    results.push({ store: "ours (encrypted, one SQL function)", ...oursFigure });
    results.push({ store: "@shopify/shopify-app-session-storage-postgresql 6", ...peerFigure });
    const check = await ours.loadSession(ids[0]);
    if (!check?.accessToken?.startsWith("shpat_")) throw new Error("peer bench: our store did not round-trip the token");
    options.log(`  loadSession p50: ours ${oursFigure.p50.median.toFixed(1)} µs, peer ${peerFigure.p50.median.toFixed(1)} µs`);
    return results;
  } finally {
    await peer.disconnect();
  }
}
