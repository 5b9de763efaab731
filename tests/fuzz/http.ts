/**
 * What the over-HTTP fuzz suites check around their properties: the
 * database rows a refused request must not change, and the app's own log
 * (a 5xx or an unhandled error is logged at level error or above).
 */
import { expect } from "vitest";
import type { SqlDatabase } from "~/lib/db/types";
import type { RunningApp } from "../support/app-server";

/**
 * Clients, installations (platform sessions), app sessions and recorded
 * webhook deliveries, as far as a request can change them; limited to the
 * clients with these external ids (shop domains, tenant ids) when given.
 * Activity timestamps are left out: a refused request cannot move them anyway.
 */
export async function databaseState(sql: SqlDatabase, externalIds?: string[]) {
  const only = externalIds ? "where c.external_id = any($1)" : "";
  const params = externalIds ? [externalIds] : [];
  return {
    clients: await sql.query(
      `select c.id, c.platform, c.external_id, c.organization_name, c.install_state, c.installed_at, c.uninstalled_at
         from clients c ${only} order by c.id`,
      params,
    ),
    platformSessions: await sql.query(
      `select p.id, p.client_id, p.scope, p.access_token_enc, p.refresh_token_enc, p.expires_at, p.user_id, p.data
         from platform_sessions p join clients c on c.id = p.client_id ${only} order by p.id`,
      params,
    ),
    appSessions: await sql.query(
      `select s.id, encode(s.token_hash, 'hex') as token_hash, s.client_id, s.user_id, s.platform_sid, s.revoked_at, s.expires_at
         from app_sessions s join clients c on c.id = s.client_id ${only} order by s.id`,
      params,
    ),
    webhookDeliveries: externalIds ? null : (await sql.query<{ n: number }>("select count(*)::int as n from webhook_deliveries"))[0].n,
  };
}

/** Nothing the app logged so far is an error (pino levels 50 and 60): no 5xx, no crash behind a 4xx. */
export function expectNoServerErrors(app: RunningApp): void {
  const errors = app
    .output()
    .split("\n")
    .filter((line) => /"level":(50|60)\b/.test(line));
  expect(errors).toEqual([]);
}
