/**
 * Clients (shops and tenants) as the merchant UI changes them.
 */
import { now } from "~/lib/clock.server";
import { getStore } from "~/lib/db/index.server";
import { withDatabase } from "~/lib/http.server";
import type { AppSession } from "~/lib/sessions/core.server";

export async function saveOrganizationName(session: AppSession, organizationName: string) {
  return withDatabase(async () => {
    const store = await getStore();
    return store.updateClient(session.clientId, organizationName, now());
  });
}
