/**
 * Benchmark-only (built only with BENCH_ROUTES=1): the customer's old way,
 * seed 003's "before". Every request re-verifies the merchant with
 * Commerce7 (the same verifyAccount the entry uses, so the same client and
 * the same sandbox latency), then reads what the page needs. No app session.
 */
import { now } from "~/lib/clock.server";
import { verifyAccount } from "~/lib/platforms/commerce7.server";
import { getStore } from "~/lib/db/index.server";
import { readFormBody } from "~/lib/request-body.server";

export async function reverify(request: Request) {
  const url = new URL(request.url);
  const tenantId = url.searchParams.get("tenantId") ?? "";
  const account = url.searchParams.get("account") ?? "";
  const user = await verifyAccount(tenantId, account);
  const store = await getStore();
  const client = await store.findClient("commerce7", tenantId);
  if (!client) throw new Response("Not installed", { status: 403 });
  return { user, client, store };
}

export async function reverifiedSave(request: Request) {
  const { client, store } = await reverify(request);
  const form = await readFormBody(request);
  const organizationName = String(form.get("organizationName") ?? "").trim();
  await store.updateClient(client.id, organizationName, now());
  return { ok: true as const, organizationName };
}
