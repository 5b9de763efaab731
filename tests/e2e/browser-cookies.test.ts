/**
 * What the browser tests' Chromium does with a framed site's cookies, so the
 * "third-party cookies blocked" tests prove what they say. A tiny site behind
 * the HTTPS test proxy sets, from inside a cross-site iframe, the two kinds of
 * cookie an embedded app can set (partitioned, like the app's own, and
 * unpartitioned), then reports which came back.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, CONTEXT_OPTIONS, launchBrowser, launchWithoutThirdPartyCookies } from "../support/browser";
import { httpsAvailable, startTlsProxy, type TlsProxy } from "../support/https-app";

describe.runIf(chromiumAvailable() && httpsAvailable())("cookies of a framed site in the tests' Chromium", () => {
  let proxy: TlsProxy;
  let server: http.Server;
  let top: string;
  let framed: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "https://x");
      res.setHeader("Content-Type", "text/html");
      if (url.pathname === "/top") {
        res.end(`<!DOCTYPE html><title>top</title><iframe src="${url.searchParams.get("frame")}/frame"></iframe>`);
      } else if (url.pathname === "/frame") {
        res.setHeader("Set-Cookie", [
          "partitioned=1; Path=/; Secure; SameSite=None; Partitioned",
          "unpartitioned=1; Path=/; Secure; SameSite=None",
        ]);
        res.end(`<!DOCTYPE html><title>frame</title><script>
          fetch("/echo").then(function (r) { return r.text(); }).then(function (t) { document.title = "cookies:" + t; });
        </script>`);
      } else if (url.pathname === "/echo") {
        res.end(req.headers.cookie ?? "");
      } else {
        res.end("ok");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = await startTlsProxy();
    proxy.forwardTo((server.address() as AddressInfo).port);
    top = `https://localhost:${proxy.port}`;
    framed = `https://127.0.0.1:${proxy.port}`;
  });
  afterAll(async () => {
    await proxy?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Which cookies the framed site gets back on its own request, framed by `topSite`. */
  async function cookiesSeen(context: BrowserContext, topSite: string): Promise<string[]> {
    const page = await context.newPage();
    await page.goto(`${topSite}/top?frame=${encodeURIComponent(framed)}`);
    const element = await page.waitForSelector("iframe");
    const frame = await element.contentFrame();
    await frame?.waitForFunction(() => document.title.startsWith("cookies:"));
    const title = (await frame?.title()) ?? "";
    await page.close();
    return title.slice("cookies:".length).split(/;\s*/).filter(Boolean).sort();
  }

  it("plain Chromium keeps a partitioned third-party cookie, so the app's cookie alone would still work there", async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext(CONTEXT_OPTIONS);
      expect(await cookiesSeen(context, top)).toEqual(["partitioned=1"]);
    } finally {
      await browser.close();
    }
  });

  it("the cookie-blocking profile refuses every cookie of the framed site, yet keeps its first-party cookies", async () => {
    const profile = await launchWithoutThirdPartyCookies({ app: framed, embeddedIn: top });
    try {
      expect(await cookiesSeen(profile.context, top)).toEqual([]);
      // The same site at top level (first party): its cookies work.
      expect(await cookiesSeen(profile.context, framed)).toEqual(["partitioned=1", "unpartitioned=1"]);
    } finally {
      await profile.close();
    }
  });
});
