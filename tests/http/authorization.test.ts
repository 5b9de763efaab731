/**
 * Authorization, table-driven, over real HTTP: no session reaches another
 * user's or another client's rows, whichever way it was made.
 *
 * Each test builds a fresh world of two clients of one platform:
 *   - me: a session made one of the WAYS below (in client A);
 *   - my other device: another session of my own user in A (mine to see and end);
 *   - a colleague: another user of client A;
 *   - a stranger: the same user id as mine where the platform allows it, in client B;
 * and runs one ROUTE CASE as me: what the route or action must not read or
 * change of the colleague's or the stranger's, and (so the case is not
 * vacuous) what it must do for me.
 *
 * Adding a way of making a session = one row in WAYS; adding a route with a
 * loader or an action = one row in ROUTE_CASES. The first test fails if a
 * built route with a loader or an action is in neither ROUTE_CASES nor
 * NOT_SESSION_ROUTES (routes that authenticate their caller another way).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { COMMERCE7_TEST_ENV, commerce7Sandbox } from "../support/commerce7";
import { routesWithHandlers } from "../support/routes";
import {
  appBridgeActor,
  bearerActor,
  cookieActor,
  enterCommerce7,
  enterShopify,
  getAs,
  installShopifyByOAuth,
  keepMeSignedIn,
  postAs,
  redeemHandoff,
  type Actor,
} from "../support/sign-in";
import { uniqueShop } from "../support/shopify";

interface World {
  me: Actor;
  /** Another session of my own user. Null when my session has no user (it must then see only itself). */
  myOtherDevice: Actor | null;
  colleague: Actor;
  stranger: Actor;
  mine: { externalId: string };
  theirs: { externalId: string; organizationName: string };
}

interface Ids {
  me: string;
  myOtherDevice: string | null;
  colleague: string;
  stranger: string;
}

interface Case {
  app: RunningApp;
  world: World;
  ids: Ids;
  platform: "shopify" | "commerce7";
}

let app: RunningApp;
let worlds = 0;

/** Two Commerce7 tenants, both activated; users by e-mail (their id follows from it). */
async function commerce7World(makeMe: (tenantId: string) => Promise<Actor>): Promise<World> {
  worlds += 1;
  const mine = `mine-winery-${worlds}`;
  const theirs = `theirs-winery-${worlds}`;
  const sandbox = commerce7Sandbox(app);
  await sandbox.activate(mine);
  await sandbox.activate(theirs);
  const me = await makeMe(mine);
  const myOtherDevice = cookieActor("my other device", (await enterCommerce7(app, mine, "me@winery.example")).cookie);
  const colleague = cookieActor("colleague", (await enterCommerce7(app, mine, "colleague@winery.example")).cookie);
  const stranger = cookieActor("stranger", (await enterCommerce7(app, theirs, "me@winery.example")).cookie);
  return { me, myOtherDevice, colleague, stranger, mine: { externalId: mine }, theirs: { externalId: theirs, organizationName: `${theirs} Estate` } };
}

/** An admin login id (sid) for a staff member of a shop: letters, digits, - and _ only. */
function sidFor(label: string, shop: string): string {
  return `${label}-${shop.replace(/[^A-Za-z0-9]/g, "")}`.slice(0, 64);
}

/** Two Shopify shops; staff by user id, admin logins by sid. `makeMe` runs once shop A is installed by a colleague's entry (unless it installs A itself). */
async function shopifyWorld(makeMe: (shop: string) => Promise<{ me: Actor; hasUser: boolean }>, installFirst: boolean): Promise<World> {
  const mine = uniqueShop("mine");
  const theirs = uniqueShop("theirs");
  let made: { me: Actor; hasUser: boolean } | null = installFirst ? await makeMe(mine) : null;
  const colleague = cookieActor("colleague", await enterShopify(app, mine, { user: "9002" }));
  made ??= await makeMe(mine);
  const myOtherDevice = made.hasUser ? cookieActor("my other device", await enterShopify(app, mine, { user: "9001", sid: sidFor("other", mine) })) : null;
  const stranger = cookieActor("stranger", await enterShopify(app, theirs, { user: "9001" }));
  const organizationName = `Their Shop ${worlds++}`;
  expect((await postAs(app, stranger, "/app/settings?_data=routes%2Fapp.settings", { organizationName })).status).toBe(200);
  return { me: made.me, myOtherDevice, colleague, stranger, mine: { externalId: mine }, theirs: { externalId: theirs, organizationName } };
}

/** Every way a session is made. A new way is one row. */
const WAYS: Record<string, { platform: "shopify" | "commerce7"; world: () => Promise<World> }> = {
  "Shopify OAuth install": {
    platform: "shopify",
    // The install callback's session has no user: it must see only itself.
    world: () => shopifyWorld(async (shop) => ({ me: cookieActor("me", await installShopifyByOAuth(app, shop)), hasUser: false }), true),
  },
  "Shopify entry": {
    platform: "shopify",
    world: () => shopifyWorld(async (shop) => ({ me: cookieActor("me", await enterShopify(app, shop, { user: "9001", sid: sidFor("me", shop) })), hasUser: true }), false),
  },
  "Shopify bearer (App Bridge)": {
    platform: "shopify",
    world: () => shopifyWorld(async (shop) => ({ me: appBridgeActor(app, "me", shop, { user: "9001", sid: sidFor("me", shop) }), hasUser: true }), false),
  },
  "Commerce7 entry": {
    platform: "commerce7",
    world: () => commerce7World(async (tenantId) => cookieActor("me", (await enterCommerce7(app, tenantId, "me@winery.example")).cookie)),
  },
  "Commerce7 handoff (no cookie)": {
    platform: "commerce7",
    world: () =>
      commerce7World(async (tenantId) => bearerActor("me", await redeemHandoff(app, (await enterCommerce7(app, tenantId, "me@winery.example")).handoffCode))),
  },
  "keep me signed in": {
    platform: "commerce7",
    world: () =>
      commerce7World(async (tenantId) => {
        const entered = cookieActor("me before", (await enterCommerce7(app, tenantId, "me@winery.example")).cookie);
        return cookieActor("me", await keepMeSignedIn(app, entered));
      }),
  },
};

// --- what each case checks -------------------------------------------------------

const DASHBOARD = "/app?_data=routes%2Fapp._index";
const SESSIONS = "/app/sessions?_data=routes%2Fapp.sessions";
const SETTINGS = "/app/settings?_data=routes%2Fapp.settings";

interface SessionList {
  sessions: Array<{ id: string; isCurrent: boolean }>;
}

async function currentSessionId(actor: Actor): Promise<string> {
  const res = await getAs(app, actor, SESSIONS);
  expect(res.status, `${actor.label} lists sessions`).toBe(200);
  const current = ((await res.json()) as SessionList).sessions.find((s) => s.isCurrent);
  if (!current) throw new Error(`${actor.label}'s own session is not in its list`);
  return current.id;
}

async function listedIds(actor: Actor): Promise<string[]> {
  const res = await getAs(app, actor, SESSIONS);
  expect(res.status).toBe(200);
  return ((await res.json()) as SessionList).sessions.map((s) => s.id);
}

async function expectAlive(actor: Actor, because: string) {
  expect((await getAs(app, actor, DASHBOARD)).status, `${actor.label} still signed in ${because}`).toBe(200);
}

/** Nothing of the colleague's or the stranger's in an answer to me. */
function expectNothingForeign(text: string, { world, ids }: Case) {
  for (const [what, marker] of [
    ["the other client's id", world.theirs.externalId],
    ["the other client's name", world.theirs.organizationName],
    ["the colleague's session id", ids.colleague],
    ["the other client's session id", ids.stranger],
  ]) {
    expect(text, `an answer to me shows ${what}`).not.toContain(marker);
  }
}

async function organizationNameOf(actor: Actor): Promise<string> {
  const res = await getAs(app, actor, SETTINGS);
  expect(res.status).toBe(200);
  return ((await res.json()) as { organizationName: string }).organizationName;
}

/**
 * Every route handler that serves a session, and what it must not do across
 * users and clients. Keys: "<route id> loader" and "<route id> action".
 */
const ROUTE_CASES: Record<string, (c: Case) => Promise<void>> = {
  "routes/app loader": async (c) => {
    const res = await getAs(app, c.world.me, "/app?_data=routes%2Fapp");
    expect(res.status).toBe(200);
    expectNothingForeign(await res.text(), c);
  },
  "routes/app._index loader": async (c) => {
    const res = await getAs(app, c.world.me, DASHBOARD);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ clientExternalId: c.world.mine.externalId });
    expectNothingForeign(text, c);
  },
  "routes/app.settings loader": async (c) => {
    const res = await getAs(app, c.world.me, SETTINGS);
    expect(res.status).toBe(200);
    expectNothingForeign(await res.text(), c);
  },
  "routes/app.settings action": async (c) => {
    const res = await postAs(app, c.world.me, SETTINGS, { organizationName: "Renamed By Me" });
    expect(res.status).toBe(200);
    // My client's name (shared with my colleague: same client), never the other client's.
    expect(await organizationNameOf(c.world.colleague)).toBe("Renamed By Me");
    expect(await organizationNameOf(c.world.stranger)).toBe(c.world.theirs.organizationName);
  },
  "routes/app.sessions loader": async (c) => {
    const res = await getAs(app, c.world.me, SESSIONS);
    expect(res.status).toBe(200);
    const text = await res.text();
    expectNothingForeign(text, c);
    const ids = ((JSON.parse(text) as SessionList).sessions).map((s) => s.id);
    if (c.ids.myOtherDevice) expect(ids.sort()).toEqual([c.ids.me, c.ids.myOtherDevice].sort());
    else expect(ids, "a session without a user sees only itself").toEqual([c.ids.me]);
  },
  "routes/app.sessions action": async (c) => {
    const { me, colleague, stranger, myOtherDevice } = c.world;
    for (const [who, id] of [["the colleague's", c.ids.colleague], ["the other client's", c.ids.stranger]] as const) {
      const res = await postAs(app, me, SESSIONS, { intent: "revoke", sessionId: id });
      expect(res.status, `revoking ${who} session`).toBeLessThan(500);
    }
    await expectAlive(colleague, "after I tried to revoke their session");
    await expectAlive(stranger, "after I tried to revoke their session");

    expect((await postAs(app, me, SESSIONS, { intent: "revoke_others" })).status).toBe(200);
    await expectAlive(colleague, "after I signed out all my other sessions");
    await expectAlive(stranger, "after I signed out all my other sessions");
    await expectAlive(me, "after signing out my other sessions");
    // Not vacuous: my own other device is mine to end.
    if (myOtherDevice) expect((await getAs(app, myOtherDevice, DASHBOARD)).status).toBe(401);

    const remember = await postAs(app, me, SESSIONS, { intent: "remember_me" });
    expect(remember.status).toBe(c.platform === "shopify" ? 400 : 200);
    await expectAlive(colleague, "after I chose to stay signed in");
    await expectAlive(stranger, "after I chose to stay signed in");
    expect(await listedIds(colleague)).toEqual([c.ids.colleague]);
  },
  "routes/app.$ loader": async (c) => {
    // A page that does not exist: a 404 inside the app, and nothing of anyone else's on it.
    const res = await getAs(app, c.world.me, "/app/no-such-page?_data=routes%2Fapp.%24");
    expect(res.status).toBe(404);
    expectNothingForeign(await res.text(), c);
  },
  "routes/logout loader": async (c) => {
    expect((await getAs(app, c.world.me, "/logout")).status).toBe(405);
    await expectAlive(c.world.me, "after a GET of /logout");
  },
  "routes/logout action": async (c) => {
    const res = await postAs(app, c.world.me, "/logout", {});
    expect(res.status).toBeLessThan(400);
    const after = await getAs(app, c.world.me, SESSIONS);
    // My session ended. (App Bridge's next token makes a new one: Shopify keeps its staff signed in.)
    if (after.status === 200) expect(((await after.json()) as SessionList).sessions.map((s) => s.id)).not.toContain(c.ids.me);
    else expect(after.status).toBe(401);
    await expectAlive(c.world.colleague, "after I logged out");
    await expectAlive(c.world.stranger, "after I logged out");
    if (c.world.myOtherDevice) await expectAlive(c.world.myOtherDevice, "after I logged out on this device");
  },
};

/** Routes with handlers that no app session opens, and how each authenticates its caller instead. */
const NOT_SESSION_ROUTES: Record<string, string> = {
  "routes/_index": "the public landing page",
  "routes/healthz": "public liveness",
  "routes/auth.session-handoff": "its own one-time code; the session it hands over is a WAY above",
  "routes/auth.shopify.session-token": "the bounce page: App Bridge only, no data",
  "routes/api.metrics": "operator secret (METRICS_TOKEN / CRON_SECRET)",
  "routes/api.sessions.cleanup": "operator secret (CRON_SECRET)",
  "routes/install.commerce7": "Commerce7's Basic auth",
  "routes/uninstall.commerce7": "Commerce7's Basic auth",
  "routes/install.shopify._index": "starts OAuth; the session it ends with is a WAY above",
  "routes/install.shopify.callback": "Shopify's signed callback; the session it makes is a WAY above",
  "routes/webhooks.shopify": "Shopify's HMAC",
};
const NOT_SESSION_PREFIXES = ["routes/sandbox."];

beforeAll(async () => {
  app = await startApp({
    ...COMMERCE7_TEST_ENV,
    RATE_LIMIT_ENTRY_CLIENT: "off",
    RATE_LIMIT_INSTALL_CLIENT: "off",
    RATE_LIMIT_LOGOUT_IP: "off",
    RATE_LIMIT_HANDOFF_IP: "off",
  });
  // The sandbox's simulated latency passes in virtual time (COMMERCE7_API_TIMEOUT_MS is short).
  await commerce7Sandbox(app).control({ reset: true, virtualTime: true });
});
afterAll(async () => {
  await app?.stop();
});

describe("authorization: the table covers the app", async () => {
  const { withHandlers } = await routesWithHandlers();

  it("every built route with a loader or an action has a row, or says how else it authenticates", () => {
    const missing: string[] = [];
    for (const route of withHandlers) {
      if (route.id in NOT_SESSION_ROUTES || NOT_SESSION_PREFIXES.some((p) => route.id.startsWith(p))) continue;
      for (const handler of ["loader", "action"] as const) {
        if (route.module[handler] && !(`${route.id} ${handler}` in ROUTE_CASES)) missing.push(`${route.id} ${handler}`);
      }
    }
    expect(missing, "add a row to ROUTE_CASES for each").toEqual([]);
    // And no stale rows.
    const built = new Set(withHandlers.flatMap((r) => (["loader", "action"] as const).filter((h) => r.module[h]).map((h) => `${r.id} ${h}`)));
    expect(Object.keys(ROUTE_CASES).filter((key) => !built.has(key))).toEqual([]);
  });
});

for (const [way, { platform, world: makeWorld }] of Object.entries(WAYS)) {
  describe(`a session made by: ${way}`, () => {
    for (const [handler, check] of Object.entries(ROUTE_CASES)) {
      it(`${handler} reaches no other user's or client's rows`, async () => {
        const world = await makeWorld();
        const ids: Ids = {
          me: await currentSessionId(world.me),
          myOtherDevice: world.myOtherDevice ? await currentSessionId(world.myOtherDevice) : null,
          colleague: await currentSessionId(world.colleague),
          stranger: await currentSessionId(world.stranger),
        };
        await check({ app, world, ids, platform });
      });
    }
  });
}
