/**
 * The Commerce7 API client against the Commerce7 sandbox, in-process (the
 * sandbox is the platform boundary), on virtual time: backoff and the
 * sandbox's 300 ms latency move the app clock instead of passing, so the
 * sandbox's call log says, on that clock, how long the client waited.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { freezeClock, now, setVirtualTime } from "~/lib/clock.server";
import {
  Commerce7Error,
  commerce7Get,
  commerce7Pages,
  retryAfterMs,
  type Commerce7Connection,
  type Transport,
} from "~/lib/platforms/commerce7/client.server";
import { basicAuthorization } from "~/lib/platforms/commerce7/config.server";
import { SANDBOX_API_PATH, sandboxAppCredentials } from "~/lib/sandbox/commerce7.server";
import {
  configureSandbox,
  DEFAULT_LATENCY_MS,
  DEFAULT_USER,
  handleSandboxApi,
  resetSandbox,
  sandboxReport,
  signAccountToken,
  type SandboxControl,
} from "~/lib/sandbox/commerce7.server";

const TENANT = "client-test-winery";
const userSchema = z.object({ id: z.string(), email: z.string(), firstName: z.string(), lastName: z.string() });
const customerSchema = z.object({ id: z.string(), firstName: z.string() });

function connection(authorization: string, overrides: Partial<Commerce7Connection> = {}): Commerce7Connection {
  return {
    apiUrl: `https://app.test.example${SANDBOX_API_PATH}`,
    tenantId: TENANT,
    authorization,
    transport: handleSandboxApi,
    timeoutMs: 50,
    maxRetryAfterMs: 10_000,
    ...overrides,
  };
}

async function asUser(overrides: Partial<Commerce7Connection> = {}) {
  return connection(await signAccountToken(TENANT, DEFAULT_USER), overrides);
}

function sandbox(control: SandboxControl) {
  configureSandbox(control);
}

/** Milliseconds between consecutive calls the sandbox received, on the app clock. */
function gapsBetweenCalls(): number[] {
  const times = sandboxReport().calls.map((c) => Date.parse(c.at));
  return times.slice(1).map((t, i) => t - times[i]);
}

async function failure(promise: Promise<unknown>): Promise<Commerce7Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Commerce7Error);
  return error as Commerce7Error;
}

beforeEach(() => {
  resetSandbox();
  setVirtualTime(true);
});
afterEach(() => {
  resetSandbox();
});

describe("one resource", () => {
  it("returns the reply validated by the schema, sending the account token and the tenant header", async () => {
    const user = await commerce7Get(await asUser(), "/account/user", userSchema);
    expect(user).toEqual({ id: DEFAULT_USER.id, email: DEFAULT_USER.email, firstName: "Sam", lastName: "Sommelier" });
    expect(sandboxReport().calls).toEqual([expect.objectContaining({ endpoint: "/account/user", tenant: TENANT, outcome: 200 })]);
  });

  it("a 401 is not retried: the caller is told the credentials were refused", async () => {
    const error = await failure(commerce7Get(connection("not-a-token"), "/account/user", userSchema));
    expect(error).toMatchObject({ kind: "unauthorized", status: 401 });
    expect(sandboxReport().accountUserCalls).toBe(1);
  });

  it("a reply that is not as documented is a bad_response naming the fields, not retried", async () => {
    const error = await failure(commerce7Get(await asUser(), "/account/user", userSchema.extend({ phone: z.string() })));
    expect(error.kind).toBe("bad_response");
    expect(error.message).toContain("phone");
    expect(sandboxReport().accountUserCalls).toBe(1);
  });
});

describe("retries", () => {
  it("5xx: 3 attempts with backoff between them, then unavailable", async () => {
    sandbox({ failure: { mode: "500" } });
    const error = await failure(commerce7Get(await asUser(), "/account/user", userSchema));
    expect(error.kind).toBe("unavailable");
    expect(sandboxReport().accountUserCalls).toBe(3);
    for (const gap of gapsBetweenCalls()) {
      // the sandbox's latency plus a backoff of at most 2 s
      expect(gap).toBeGreaterThan(DEFAULT_LATENCY_MS);
      expect(gap).toBeLessThan(DEFAULT_LATENCY_MS + 2_000 + 500);
    }
  });

  it("a 5xx that clears up before the third attempt is invisible to the caller", async () => {
    sandbox({ failure: { mode: "500", times: 2 } });
    const user = await commerce7Get(await asUser(), "/account/user", userSchema);
    expect(user.id).toBe(DEFAULT_USER.id);
    expect(sandboxReport().calls.map((c) => c.outcome)).toEqual([500, 500, 200]);
  });

  it("network errors are retried like 5xx", async () => {
    let failures = 2;
    const flaky: Transport = (request) => {
      if (failures-- > 0) return Promise.reject(new TypeError("fetch failed"));
      return handleSandboxApi(request);
    };
    const user = await commerce7Get(await asUser({ transport: flaky }), "/account/user", userSchema);
    expect(user.id).toBe(DEFAULT_USER.id);
    expect(failures).toBe(-1);
  });

  it("a hanging Commerce7 is abandoned after the timeout, 3 times, then unavailable", async () => {
    sandbox({ failure: { mode: "hang" }, latencyMs: 0 });
    const error = await failure(commerce7Get(await asUser({ timeoutMs: 30 }), "/account/user", userSchema));
    expect(error.kind).toBe("unavailable");
    expect(sandboxReport().calls.map((c) => c.outcome)).toEqual(["hang", "hang", "hang"]);
  });

  it("a caller that goes away stops the retries", async () => {
    sandbox({ failure: { mode: "500" } });
    const caller = new AbortController();
    const leaving: Transport = async (request) => {
      const response = await handleSandboxApi(request);
      caller.abort(); // the browser closes the page during the first attempt
      return response;
    };
    const error = await failure(
      commerce7Get(await asUser({ transport: leaving, signal: caller.signal }), "/account/user", userSchema),
    );
    expect(error.kind).toBe("unavailable");
    expect(sandboxReport().accountUserCalls).toBe(1);
  });

  it("429: waits exactly as Retry-After says, then succeeds", async () => {
    sandbox({ failure: { mode: "429", times: 1, retryAfterSeconds: 2 } });
    const user = await commerce7Get(await asUser(), "/account/user", userSchema);
    expect(user.id).toBe(DEFAULT_USER.id);
    const [gap] = gapsBetweenCalls();
    // 300 ms latency of the refused call + the 2 s Commerce7 asked for (+ real time, a few ms)
    expect(gap).toBeGreaterThanOrEqual(DEFAULT_LATENCY_MS + 2_000);
    expect(gap).toBeLessThan(DEFAULT_LATENCY_MS + 2_000 + 500);
  });

  it("429 asking for longer than the bound is not waited for: rate_limited at once, with the wait", async () => {
    sandbox({ failure: { mode: "429", retryAfterSeconds: 60 } });
    const startedAt = now().getTime();
    const error = await failure(commerce7Get(await asUser(), "/account/user", userSchema));
    expect(error).toMatchObject({ kind: "rate_limited", retryAfterSeconds: 60 });
    expect(sandboxReport().accountUserCalls).toBe(1);
    expect(now().getTime() - startedAt).toBeLessThan(DEFAULT_LATENCY_MS + 1_000);
  });

  it("429 on every attempt: rate_limited after 3 attempts", async () => {
    sandbox({ failure: { mode: "429", retryAfterSeconds: 1 } });
    const error = await failure(commerce7Get(await asUser(), "/account/user", userSchema));
    expect(error).toMatchObject({ kind: "rate_limited", retryAfterSeconds: 1 });
    expect(sandboxReport().accountUserCalls).toBe(3);
  });

  it("Retry-After as an HTTP date is a wait until then", () => {
    freezeClock(new Date("2026-11-23T12:00:00Z"));
    expect(retryAfterMs(new Headers({ "Retry-After": "Mon, 23 Nov 2026 12:00:05 GMT" }))).toBe(5_000);
    expect(retryAfterMs(new Headers({ "Retry-After": "3" }))).toBe(3_000);
    expect(retryAfterMs(new Headers({ "Retry-After": "soon" }))).toBeNull();
    expect(retryAfterMs(new Headers())).toBeNull();
  });
});

describe("cursor pagination", () => {
  const app = () => connection(basicAuthorization(sandboxAppCredentials()));

  it("walks every page from cursor=start until a reply has no cursor", async () => {
    const urls: string[] = [];
    const recording: Transport = (request) => {
      urls.push(request.url);
      return handleSandboxApi(request);
    };
    const ids: string[] = [];
    for await (const customer of commerce7Pages({ ...app(), transport: recording }, "/customer", "customers", customerSchema)) {
      ids.push(customer.id);
    }
    expect(ids).toEqual(["c7-customer-1", "c7-customer-2", "c7-customer-3", "c7-customer-4", "c7-customer-5"]);
    expect(urls).toHaveLength(3);
    expect(new URL(urls[0]).searchParams.get("cursor")).toBe("start");
    expect(new URL(urls[1]).searchParams.get("cursor")).not.toBe("start");
  });

  it("the app's own calls use Basic auth with the app credentials (the sandbox refuses others)", async () => {
    const wrong = connection(basicAuthorization({ user: "someone", password: "else" }));
    const error = await failure(commerce7Pages(wrong, "/customer", "customers", customerSchema).next());
    expect(error.kind).toBe("unauthorized");
  });

  it("a cursor that comes back again stops the walk instead of looping", async () => {
    const looping: Transport = async () => Response.json({ customers: [{ id: "x", firstName: "X" }], cursor: "same" });
    const walk = async () => {
      for await (const _ of commerce7Pages({ ...app(), transport: looping }, "/customer", "customers", customerSchema)) {
        // keep walking
      }
    };
    expect((await failure(walk())).kind).toBe("bad_response");
  });
});
