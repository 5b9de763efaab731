/**
 * The platform sandbox is a plug, mounted by one composition root only when
 * nothing real could be reached through it: outside production AND with no
 * real platform credentials. Otherwise every sandbox route is absent (404),
 * the app's clock cannot be moved, and the production server never even
 * loads a sandbox module.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";
import { routesWithHandlers, urlPath } from "../support/routes";

const REAL_SHOPIFY = { SHOPIFY_API_KEY: "real-api-key", SHOPIFY_API_SECRET: "real-api-secret-0123456789" };
const REAL_COMMERCE7 = { COMMERCE7_APP_ID: "real-app-id", COMMERCE7_APP_SECRET: "real-app-secret-0123456789" };

/** Every sandbox route with the methods it handles (GET for a loader, POST for an action). */
async function sandboxRequests(): Promise<{ path: string; methods: string[] }[]> {
  const { routes, withHandlers } = await routesWithHandlers();
  const requests = withHandlers
    .map((route) => ({
      path: urlPath(routes, route),
      methods: [...(route.module.loader ? ["GET"] : []), ...(route.module.action ? ["POST"] : [])],
    }))
    .filter((r) => r.path.startsWith("/sandbox"));
  expect(requests.map((r) => r.path)).toContain("/sandbox/clock");
  return requests;
}

/** Every sandbox route, the clock included: absent. */
async function expectNoSandbox(app: RunningApp) {
  for (const { path, methods } of await sandboxRequests()) {
    for (const method of methods) {
      const res = await fetch(`${app.url}${path}`, {
        method,
        headers: { "Content-Type": "application/json", Origin: app.url },
        body: method === "POST" ? JSON.stringify({ advanceSeconds: 86_400 }) : undefined,
      });
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 404`);
    }
  }
}

describe("the platform sandbox is off whenever real platform credentials are configured", () => {
  for (const [name, credentials] of [
    ["Shopify", REAL_SHOPIFY],
    ["Commerce7", REAL_COMMERCE7],
  ] as const) {
    it(`with real ${name} credentials outside production, every sandbox route is 404 and the clock cannot be moved`, async () => {
      const app = await startApp({ NODE_ENV: "test", ...credentials });
      try {
        await expectNoSandbox(app);
      } finally {
        await app.stop();
      }
    }, 120_000);
  }

  it("without credentials outside production, the sandbox is plugged in (the clock moves)", async () => {
    const app = await startApp();
    try {
      const res = await fetch(`${app.url}/sandbox/clock`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Origin: app.url },
        body: JSON.stringify({ advanceSeconds: 60 }),
      });
      expect(res.status).toBe(200);
    } finally {
      await app.stop();
    }
  }, 120_000);
});

interface FunctionCoverage {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}

/**
 * Which sandbox modules the server evaluated, read from V8's own coverage of
 * build/index.js: in the bundle each sandbox module is a lazily initialised
 * wrapper named after its file, whose body runs only when it is imported.
 */
async function sandboxModulesEvaluated(env: Record<string, string>): Promise<{ found: string[]; evaluated: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-coverage-"));
  try {
    const app = await startApp({ ...env, NODE_V8_COVERAGE: dir });
    // A few requests that touch the platform code paths.
    for (const p of ["/", "/app?tenantId=sandbox-winery&account=a.b.c", "/sandbox/shopify", "/sandbox/shopify/app-bridge.js", "/healthz"]) await fetch(`${app.url}${p}`);
    await app.stop();
    const bundle = path.resolve("build/index.js");
    const functions: FunctionCoverage[] = [];
    for (const file of fs.readdirSync(dir)) {
      const report = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { result: { url: string; functions: FunctionCoverage[] }[] };
      for (const script of report.result) if (script.url.startsWith(`file://${bundle}`)) functions.push(...script.functions);
    }
    const wrappers = functions.filter((f) => f.functionName.startsWith("app/lib/sandbox/"));
    return {
      found: [...new Set(wrappers.map((f) => f.functionName))].sort(),
      evaluated: [...new Set(wrappers.filter((f) => f.ranges[0].count > 0).map((f) => f.functionName))].sort(),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("production code never loads the sandbox", () => {
  const sandboxFiles = fs
    .readdirSync("app/lib/sandbox")
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => `app/lib/sandbox/${f}`)
    .sort();

  it("the production server evaluates no sandbox module, while a development server does", async () => {
    const production = await sandboxModulesEvaluated({ NODE_ENV: "production" });
    // Every sandbox module is in the bundle only behind its lazy wrapper...
    expect(production.found).toEqual(sandboxFiles);
    // ...and the production server never ran one.
    expect(production.evaluated).toEqual([]);
    // Positive control: the same measurement sees the sandbox when it is plugged in.
    const development = await sandboxModulesEvaluated({ NODE_ENV: "test" });
    expect(development.evaluated).toEqual(sandboxFiles);
  }, 180_000);
});
