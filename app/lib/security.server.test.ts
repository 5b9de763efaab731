import { afterEach, describe, expect, it } from "vitest";
import { resetEnv } from "~/lib/env.server";
import { frameAncestorsFor } from "~/lib/security.server";

describe("frame-ancestors", () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
    delete process.env.ALLOW_PGLITE_IN_PRODUCTION;
    resetEnv();
  });

  function inProduction() {
    process.env.NODE_ENV = "production";
    // Production wants a database server; these tests read the framing policy only.
    process.env.ALLOW_PGLITE_IN_PRODUCTION = "1";
    resetEnv();
  }

  it("in production, a Shopify session's pages are framed by its admin and its shop only, as Shopify asks", () => {
    inProduction();
    expect(frameAncestorsFor({ platform: "shopify", shop: "wine-shop.myshopify.com" })).toBe(
      "frame-ancestors https://admin.shopify.com https://wine-shop.myshopify.com",
    );
  });

  it("in production, a Commerce7 session's pages are framed by Commerce7's admin only", () => {
    inProduction();
    expect(frameAncestorsFor({ platform: "commerce7" })).toBe("frame-ancestors https://*.commerce7.com");
  });

  it("in production, a page with no proven session may be framed by either admin, but not by the app itself", () => {
    inProduction();
    expect(frameAncestorsFor(null)).toBe("frame-ancestors https://admin.shopify.com https://*.myshopify.com https://*.commerce7.com");
  });

  it("outside production the sandbox admin, on the app's own origin, may frame it too", () => {
    expect(frameAncestorsFor({ platform: "commerce7" })).toBe("frame-ancestors 'self' https://*.commerce7.com");
  });
});
