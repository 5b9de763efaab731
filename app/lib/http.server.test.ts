/** The 429 answer and how a rendered page gets its Retry-After back. */
import { describe, expect, it } from "vitest";
import { retryAfterOf, tooManyRequestsResponse } from "~/lib/http.server";

/** What Remix hands the document renderer for a thrown Response: status and body, no headers. */
function routeError(status: number, data: unknown) {
  return { status, statusText: "", internal: false, data };
}

describe("rate-limit responses", () => {
  it("429 JSON says how long to wait, in the header and the body", async () => {
    const response = tooManyRequestsResponse(12.2);
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("13");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.json()).toEqual({
      error: "rate_limited",
      message: "Too many requests. Please wait 13 seconds and try again.",
      retryAfter: 13,
    });
  });

  it("a rendered page over the limit gets Retry-After from the thrown 429's body", () => {
    expect(retryAfterOf([routeError(429, { error: "rate_limited", retryAfter: 42 })])).toBe("42");
    expect(retryAfterOf([routeError(503, { retryAfter: 5 }), new Error("boom")])).toBeNull();
    expect(retryAfterOf([routeError(429, { error: "rate_limited" })])).toBeNull();
    expect(retryAfterOf([])).toBeNull();
  });
});
