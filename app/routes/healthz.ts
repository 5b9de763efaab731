import { json } from "@remix-run/node";
import { getStore } from "~/lib/db/index.server";
import { DatabaseUnavailableError } from "~/lib/db/errors.server";

/** Liveness and database reachability: 200 when a round trip succeeds, 503 with a reason when not. */
export async function loader() {
  const started = performance.now();
  try {
    const store = await getStore();
    await store.ping();
    return json(
      { status: "ok", database: store.kind, latencyMs: Math.round((performance.now() - started) * 100) / 100 },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (error) {
    const reason = error instanceof DatabaseUnavailableError ? error.message : "database check failed";
    return json({ status: "unavailable", reason }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
