/**
 * What GET /api/metrics exposes, in-process: the gauge read from the
 * database at scrape, the counters and the latency histogram, and a scrape
 * that still answers when the database does not.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { freezeClock } from "~/lib/clock.server";
import { setStore } from "~/lib/db/index.server";
import { DatabaseUnavailableError } from "~/lib/db/errors.server";
import { Store } from "~/lib/db/store.server";
import type { Database } from "~/lib/db/types";
import { renderMetrics } from "~/lib/operations/metrics.server";
import { createAppSession, requireAppSession } from "~/lib/sessions/core.server";
import type { TestDatabase } from "../../../tests/support/databases";
import { sample } from "../../../tests/support/metrics";
import { cookiePair, documentRequest, makeClient } from "../../../tests/support/sessions";
import { useTestDatabase } from "../../../tests/support/use-database";

describe("metrics", () => {
  const database = useTestDatabase();
  let db: TestDatabase;

  beforeAll(() => {
    db = database();
    freezeClock(new Date("2026-11-23T09:00:00Z"));
  });

  it("counts active sessions per platform from the database, and sessions created by this process", async () => {
    const shop = await makeClient(db.store, "shopify");
    const tenant = await makeClient(db.store, "commerce7");
    const before = (await renderMetrics()).body;
    await createAppSession({ request: documentRequest("/app"), clientId: shop.id });
    await createAppSession({ request: documentRequest("/app"), clientId: shop.id });
    await createAppSession({ request: documentRequest("/app"), clientId: tenant.id });
    const { body, contentType } = await renderMetrics();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(body, 'app_sessions_active{platform="shopify"}')).toBe(2);
    expect(sample(body, 'app_sessions_active{platform="commerce7"}')).toBe(1);
    expect(sample(body, "app_database_up")).toBe(1);
    const created = (text: string) => sample(text, 'app_sessions_created_total{platform="shopify"}') ?? 0;
    expect(created(body) - created(before)).toBe(2);
    // Default process metrics come along.
    expect(body).toContain("process_cpu_user_seconds_total");
  });

  it("observes the latency of each session check in a histogram", async () => {
    const tenant = await makeClient(db.store);
    const { setCookie } = await createAppSession({ request: documentRequest("/app"), clientId: tenant.id });
    const count = (text: string) => sample(text, 'app_require_session_duration_seconds_count{outcome="cookie"}') ?? 0;
    const before = count((await renderMetrics()).body);
    for (let i = 0; i < 3; i++) await requireAppSession(documentRequest("/app", { cookie: cookiePair(setCookie) }));
    expect(count((await renderMetrics()).body) - before).toBe(3);
  });

  it("still answers with the database down: app_database_up 0 and no active-sessions numbers", async () => {
    const down: Database = {
      kind: "postgres",
      rows: () => Promise.reject(new DatabaseUnavailableError()),
      scalar: () => Promise.reject(new DatabaseUnavailableError()),
      ping: () => Promise.reject(new DatabaseUnavailableError()),
      close: async () => {},
    };
    setStore(new Store(down));
    try {
      const { body } = await renderMetrics();
      expect(sample(body, "app_database_up")).toBe(0);
      expect(body).not.toMatch(/^app_sessions_active\{/m);
    } finally {
      setStore(db.store);
    }
  });
});
