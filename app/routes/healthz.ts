import { json } from "@remix-run/node";
import { DatabaseUnavailableError } from "~/lib/db/errors.server";
import { getStore } from "~/lib/db/index.server";
import { pendingMigrations } from "~/lib/db/migrate.server";

const headers = { "Cache-Control": "no-store" };

/**
 * Liveness, database reachability and schema version: 200 when a round trip
 * succeeds and every migration this build ships has been applied; 503 with a
 * reason when not (an unmigrated database would answer every entry with an
 * error, so the load balancer must not send merchants here).
 */
export async function loader() {
  const started = performance.now();
  try {
    const store = await getStore();
    const pending = await pendingMigrations(store);
    if (pending.length > 0) {
      return json(
        {
          status: "unavailable",
          reason: `The database schema is behind this build: ${pending.length} migration(s) not applied (${pending.at(-1)} is the newest). Run npm run db:migrate.`,
          pendingMigrations: pending,
        },
        { status: 503, headers },
      );
    }
    return json(
      { status: "ok", database: store.kind, latencyMs: Math.round((performance.now() - started) * 100) / 100 },
      { headers },
    );
  } catch (error) {
    const reason = error instanceof DatabaseUnavailableError ? error.message : "database check failed";
    return json({ status: "unavailable", reason }, { status: 503, headers });
  }
}
