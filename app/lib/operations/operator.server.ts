/**
 * What the operator CLI (scripts/sessions.ts) does, as library functions:
 * find a client by what an operator knows (shop domain, tenantId or id),
 * count, list and revoke sessions. Revocations are audited like any other
 * (the SQL writes the `revoked` rows; the reason is "operator" unless told).
 */
import { logSessionEvent } from "~/lib/operations/audit.server";
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { platformSchema, type Client, type Platform, type SessionStats } from "~/lib/db/store.server";

export const OPERATOR_REASON = "operator";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export type ClientLookup =
  | { found: Client }
  | { notFound: string }
  | { ambiguous: Client[] };

/**
 * A client by its id, or by its shop domain / Commerce7 tenantId (on one
 * platform, or on either when it is unique there).
 */
export async function findClientByKey(key: string, platform?: Platform): Promise<ClientLookup> {
  const store = await getStore();
  if (isUuid(key)) {
    const client = await store.getClient(key);
    return client ? { found: client } : { notFound: key };
  }
  const platforms = platform ? [platform] : platformSchema.options;
  const matches = (await Promise.all(platforms.map((p) => store.findClient(p, key)))).filter(
    (c): c is Client => c !== null,
  );
  if (matches.length === 0) return { notFound: key };
  if (matches.length > 1) return { ambiguous: matches };
  return { found: matches[0] };
}

export async function sessionStats(): Promise<SessionStats[]> {
  const store = await getStore();
  return store.sessionStats(now());
}

/** Revoke one session by id, whatever its client. null: no such session; 0: it was already revoked. */
export async function revokeSessionById(sessionId: string, reason = OPERATOR_REASON): Promise<number | null> {
  const store = await getStore();
  const count = await store.revokeAppSessionById(sessionId, reason, now());
  if (count) logSessionEvent("revoked", { subject: { id: sessionId }, detail: { reason }, count });
  return count;
}
