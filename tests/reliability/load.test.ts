/**
 * Load across two app instances on one PostgreSQL: 1,000 sessions, 100
 * concurrent clients mixing page loads, data requests, form actions and
 * logouts for LOAD_SECONDS (npm test: a short run; `npm run test:load`: 60 s).
 *
 * What must hold: zero 5xx; zero sessions lost (a live session refused) or
 * wrongly accepted (a logged-out one let in); a logout on one instance is
 * refused on the other at once; every session checked before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "~/lib/db/migrate.server";
import { openPostgres } from "~/lib/db/postgres.server";
import { Store } from "~/lib/db/store.server";
import type { SqlDatabase } from "~/lib/db/types";
import { startApp, type RunningApp } from "../support/app-server";
import { createScratchDatabase, postgresAvailable } from "../support/databases";
import { signInDirect } from "../support/shared-postgres-app";

const SESSIONS = Number(process.env.LOAD_SESSIONS ?? 1000);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 100);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 8);
/** Settings that keep the shared rate limits out of the way of one IP sending all the load. */
const LOAD_ENV = { RATE_LIMIT_LOGOUT_IP: "off", RATE_LIMIT_ENTRY_IP: "off", LOG_LEVEL: "warn" };

interface TrackedSession {
  cookie: string;
  csrf: string;
  id: string;
  live: boolean;
}

describe.runIf(postgresAvailable())(`load: two instances, ${SESSIONS} sessions, ${CLIENTS} clients, ${SECONDS} s`, () => {
  let drop: () => Promise<void>;
  let db: SqlDatabase;
  let instances: RunningApp[] = [];
  const sessions: TrackedSession[] = [];
  const problems: string[] = [];
  const counts = { requests: 0, byStatus: new Map<number, number>(), logouts: 0 };

  beforeAll(async () => {
    const scratch = await createScratchDatabase();
    drop = scratch.drop;
    db = await openPostgres(scratch.url, { max: 10 });
    await migrate(db);
    const store = new Store(db);
    instances = await Promise.all([
      startApp({ DATABASE_URL: scratch.url, ...LOAD_ENV }),
      startApp({ DATABASE_URL: scratch.url, ...LOAD_ENV }),
    ]);
    const first = await signInDirect(store, { organizationName: "Load Winery" });
    sessions.push({ cookie: first.cookie, csrf: first.session.csrfToken, id: first.session.id, live: true });
    const batch = 50;
    for (let i = 1; i < SESSIONS; i += batch) {
      const made = await Promise.all(
        Array.from({ length: Math.min(batch, SESSIONS - i) }, (_, j) =>
          signInDirect(store, { externalId: first.client.externalId, userId: `user-${(i + j) % 37}` }),
        ),
      );
      for (const s of made) sessions.push({ cookie: s.cookie, csrf: s.session.csrfToken, id: s.session.id, live: true });
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await db?.close();
    await drop?.();
  });

  function record(status: number) {
    counts.requests += 1;
    counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
  }

  async function check(instance: RunningApp, session: TrackedSession, label: string) {
    const res = await fetch(`${instance.url}/app?_data=routes%2Fapp._index`, { headers: { Cookie: session.cookie } });
    record(res.status);
    await res.arrayBuffer();
    if (res.status >= 500) problems.push(`${label}: ${res.status} on ${instance.url}`);
    else if (session.live && res.status !== 200) problems.push(`${label}: live session ${session.id} refused (${res.status})`);
    else if (!session.live && res.status === 200) problems.push(`${label}: logged-out session ${session.id} accepted`);
  }

  async function act(instance: RunningApp, session: TrackedSession, roll: number) {
    const headers = { Cookie: session.cookie };
    const form = (fields: Record<string, string>) => ({
      method: "POST",
      redirect: "manual" as const,
      headers: { ...headers, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: session.csrf, ...fields }),
    });
    let res: Response;
    if (roll < 0.35) res = await fetch(`${instance.url}/app`, { headers: { ...headers, Accept: "text/html" }, redirect: "manual" });
    else if (roll < 0.7) res = await fetch(`${instance.url}/app/sessions?_data=routes%2Fapp.sessions`, { headers });
    else if (roll < 0.98) res = await fetch(`${instance.url}/app/settings?_data=routes%2Fapp.settings`, form({ organizationName: `Load ${roll.toFixed(4)}` }));
    else {
      res = await fetch(`${instance.url}/logout`, form({}));
      record(res.status);
      await res.arrayBuffer();
      if (res.status !== 302) problems.push(`logout of ${session.id}: ${res.status}`);
      session.live = false;
      counts.logouts += 1;
      // The other instance must refuse it at once.
      await check(instances[instances.indexOf(instance) ^ 1], session, "right after logout");
      return;
    }
    record(res.status);
    const body = await res.text();
    if (res.status >= 500) problems.push(`${res.status} ${body.slice(0, 200)}`);
    else if (session.live && res.status !== 200) problems.push(`live session ${session.id} refused (${res.status})`);
    else if (!session.live && res.status === 200) problems.push(`logged-out session ${session.id} accepted`);
  }

  it("every session is valid on both instances before the load", async () => {
    problems.length = 0;
    for (const [i, session] of sessions.entries()) await check(instances[i % 2], session, "before");
    expect(problems).toEqual([]);
  }, 120_000);

  it("under load: no 5xx, no session lost or wrongly accepted, logout honoured across instances", async () => {
    problems.length = 0;
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        // Each client owns its sessions, so no two clients race on one session.
        const owned = sessions.filter((_, i) => i % CLIENTS === client);
        let n = 0;
        while (Date.now() < until) {
          const session = owned[n++ % owned.length];
          const instance = instances[(client + n) % 2];
          if (!session.live) await check(instance, session, "after logout");
          else await act(instance, session, Math.random());
        }
      }),
    );
    console.warn(
      `load: ${counts.requests} requests in ${SECONDS} s (${Math.round(counts.requests / SECONDS)}/s), ` +
        `${counts.logouts} logouts, statuses ${JSON.stringify(Object.fromEntries(counts.byStatus))}`,
    );
    expect(problems).toEqual([]);
    expect(counts.logouts).toBeGreaterThan(0);
    expect([...counts.byStatus.keys()].filter((s) => s >= 500)).toEqual([]);
  }, (SECONDS + 120) * 1000);

  it("every session is still what it should be afterwards, on both instances", async () => {
    problems.length = 0;
    for (const [i, session] of sessions.entries()) {
      await check(instances[0], session, "after");
      if (i % 10 === 0) await check(instances[1], session, "after");
    }
    expect(problems).toEqual([]);
    const [row] = await db.query<{ n: string }>("select count(*)::text as n from app_sessions");
    expect(Number(row.n)).toBe(sessions.filter((s) => s.live).length);
  }, 120_000);
});
