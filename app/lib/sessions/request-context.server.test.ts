import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setStore } from "~/lib/db/index.server";
import { releaseRequestContext } from "~/lib/sessions/request-context.server";
import { registerEntryHandler, requireAppSession, startAppSession, type AppSession } from "~/lib/sessions/core.server";
import { pgliteBackend, type TestDatabase } from "../../../tests/support/databases";
import { APP, makeClient } from "../../../tests/support/sessions";

describe("one request, many loaders", () => {
  let db: TestDatabase;
  let entries = 0;

  beforeAll(async () => {
    db = await pgliteBackend.open();
    setStore(db.store);
    const client = await makeClient(db.store);
    registerEntryHandler({
      name: "test-platform",
      matches: (request) => new URL(request.url).searchParams.has("test-entry"),
      async enter(request): Promise<AppSession> {
        entries += 1;
        return (await startAppSession({ request, clientId: client.id, user: { id: "u" } })).session;
      },
    });
  });
  afterAll(async () => {
    setStore(undefined);
    await db.close();
  });

  function loaderCopy(requestId: string) {
    // What Remix hands each loader: its own Request with the same headers.
    return new Request(`${APP}/app?test-entry=1`, { headers: { "x-request-id": requestId } });
  }

  it("parallel loaders of one request share a single entry and a single new session", async () => {
    const sessions = await Promise.all([loaderCopy("req-1"), loaderCopy("req-1"), loaderCopy("req-1")].map(requireAppSession));
    expect(entries).toBe(1);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(1);
    const cookies = releaseRequestContext(loaderCopy("req-1"));
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^__Host-app_session=/);
  });

  it("another request is another entry", async () => {
    const before = entries;
    await requireAppSession(loaderCopy("req-2"));
    expect(entries).toBe(before + 1);
  });

  it("a refusal is thrown to every loader as its own readable Response", async () => {
    const refused = (id: string) =>
      new Request(`${APP}/app`, { headers: { "x-request-id": id, Accept: "application/json" } });
    const results = await Promise.allSettled([requireAppSession(refused("req-3")), requireAppSession(refused("req-3"))]);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const response = (result as PromiseRejectedResult).reason as Response;
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "unauthenticated" });
    }
  });
});
