/**
 * The Shopify CLI project files (shopify.app.toml, shopify.web.toml) held to
 * the app they describe: every URL they name is a route of the built app,
 * the webhook subscriptions are exactly the topics the app handles (the three
 * compliance topics included), the scopes are the app's default, and the
 * variables the CLI hands to the dev command are read with the documented
 * precedence. Also the deploy files: Dockerfile and fly.toml.
 */
import fs from "node:fs";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parseEnv } from "~/lib/env.server";
import { SHOPIFY_API_VERSION } from "~/lib/platforms/shopify/config.server";
import { HANDLED_WEBHOOK_TOPICS } from "~/lib/platforms/shopify/webhooks.server";
import { builtRoutes, urlPath } from "../support/routes";
import { startApp } from "../support/app-server";

const COMPLIANCE_TOPICS = ["customers/data_request", "customers/redact", "shop/redact"];

interface AppToml {
  client_id: string;
  application_url: string;
  embedded: boolean;
  build: { automatically_update_urls_on_dev: boolean; include_config_on_deploy: boolean };
  access_scopes: { scopes: string; use_legacy_install_flow: boolean };
  auth: { redirect_urls: string[] };
  webhooks: { api_version: string; subscriptions: Array<{ topics?: string[]; compliance_topics?: string[]; uri: string }> };
}

const appToml = parse(fs.readFileSync("shopify.app.toml", "utf8")) as unknown as AppToml;
const webToml = parse(fs.readFileSync("shopify.web.toml", "utf8")) as { roles: string[]; webhooks_path: string; commands: { dev: string; build?: string } };
const packageJson = JSON.parse(fs.readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };

async function builtPaths(): Promise<Set<string>> {
  const routes = await builtRoutes();
  return new Set(Object.values(routes).map((route) => urlPath(routes, route)));
}

const pathOf = (url: string) => (url.startsWith("/") ? url : new URL(url).pathname);

describe("shopify.app.toml", () => {
  it("is an embedded app with Shopify-managed installation and a placeholder client id", () => {
    expect(appToml.embedded).toBe(true);
    expect(appToml.access_scopes.use_legacy_install_flow).toBe(false);
    expect(appToml.client_id).toMatch(/REPLACE/);
    expect(appToml.build.automatically_update_urls_on_dev).toBe(true);
  });

  it("asks for the scopes the app asks for by default", () => {
    const defaults = parseEnv({ NODE_ENV: "test", PGLITE_DIR: "memory://" }).SHOPIFY_SCOPES;
    expect(appToml.access_scopes.scopes.split(",").map((s) => s.trim()).sort()).toEqual(defaults.split(",").map((s) => s.trim()).sort());
  });

  it("names only URLs the built app serves: the entry, the OAuth callback and the webhook route", async () => {
    const paths = await builtPaths();
    expect(paths).toContain(pathOf(appToml.application_url));
    expect(pathOf(appToml.application_url)).toBe("/app");
    expect(appToml.auth.redirect_urls.map(pathOf)).toEqual(["/install/shopify/callback"]);
    expect(paths).toContain("/install/shopify/callback");
    for (const subscription of appToml.webhooks.subscriptions) expect(paths).toContain(pathOf(subscription.uri));
    expect(paths).toContain(webToml.webhooks_path);
  });

  it("subscribes to exactly the topics the app handles, the three compliance topics as compliance topics", () => {
    const topics = appToml.webhooks.subscriptions.flatMap((s) => s.topics ?? []);
    const compliance = appToml.webhooks.subscriptions.flatMap((s) => s.compliance_topics ?? []);
    expect(compliance.sort()).toEqual([...COMPLIANCE_TOPICS].sort());
    expect([...topics, ...compliance].sort()).toEqual([...HANDLED_WEBHOOK_TOPICS].sort());
    expect(topics).toEqual(expect.arrayContaining(["app/uninstalled", "app/scopes_update"]));
  });

  it("uses the Admin API version the app is written against", () => {
    expect(appToml.webhooks.api_version).toBe(SHOPIFY_API_VERSION);
  });
});

describe("shopify.web.toml", () => {
  it("runs our dev server (which reads the port the CLI gives) as frontend and backend", () => {
    expect(webToml.roles.sort()).toEqual(["backend", "frontend"]);
    expect(webToml.commands.dev).toBe("npm run dev");
    expect(packageJson.scripts.dev).toBeDefined();
    expect(webToml.commands.build).toBe("npm run build");
  });
});

describe("the variables the Shopify CLI hands over", () => {
  const base = { NODE_ENV: "development", PGLITE_DIR: "memory://", SESSION_SECRET: "s".repeat(40), TOKEN_ENCRYPTION_KEY: "0".repeat(64) };
  const cli = {
    SHOPIFY_API_KEY: "cli-key",
    SHOPIFY_API_SECRET: "cli-secret",
    SHOPIFY_APP_URL: "https://tunnel-1.trycloudflare.com",
    SCOPES: "read_products,write_products",
    PORT: "51234",
    FRONTEND_PORT: "51234",
    HOST: "https://tunnel-1.trycloudflare.com",
  };

  it("are read alone (a project run only through `shopify app dev`)", () => {
    const settings = parseEnv({ ...base, ...cli });
    expect(settings.APP_URL).toBe("https://tunnel-1.trycloudflare.com");
    expect(settings.PORT).toBe(51234);
    expect(settings.SHOPIFY_SCOPES).toBe("read_products,write_products");
    expect(settings.SHOPIFY_API_KEY).toBe("cli-key");
  });

  it("win over ours where both name the same thing: the tunnel URL follows each run, over a stale APP_URL in .env", () => {
    const settings = parseEnv({ ...base, ...cli, APP_URL: "http://localhost:3000", SHOPIFY_SCOPES: "read_orders" });
    expect(settings.APP_URL).toBe("https://tunnel-1.trycloudflare.com");
    expect(settings.SHOPIFY_SCOPES).toBe("read_products,write_products");
  });

  it("HOST only fills a gap, and only as a URL; FRONTEND_PORT only when PORT is unset", () => {
    expect(parseEnv({ ...base, HOST: "https://old-cli-tunnel.example" }).APP_URL).toBe("https://old-cli-tunnel.example");
    expect(parseEnv({ ...base, HOST: "https://old-cli-tunnel.example", APP_URL: "https://app.example" }).APP_URL).toBe("https://app.example");
    expect(parseEnv({ ...base, HOST: "my-laptop" }).APP_URL).toBe("http://localhost:3000");
    expect(parseEnv({ ...base, FRONTEND_PORT: "4000" }).PORT).toBe(4000);
    expect(parseEnv({ ...base, FRONTEND_PORT: "4000", PORT: "5000" }).PORT).toBe(5000);
  });

  it("a bad value is refused naming the CLI's variable", () => {
    expect(() => parseEnv({ ...base, SHOPIFY_APP_URL: "not a url" })).toThrow(/SHOPIFY_APP_URL/);
    expect(() => parseEnv({ ...base, FRONTEND_PORT: "port" })).toThrow(/FRONTEND_PORT/);
  });

  it("the dev server listens where the CLI says and serves the tunnel's root as the entry", async () => {
    const app = await startApp({ PORT: undefined, FRONTEND_PORT: "0", SHOPIFY_APP_URL: "https://tunnel-2.trycloudflare.com", APP_URL: undefined });
    try {
      const res = await fetch(`${app.url}/?embedded=1&shop=dev-store.myshopify.com&host=abc`, { redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/app?embedded=1&shop=dev-store.myshopify.com&host=abc");
      expect(app.output()).toContain("APP_URL: https://tunnel-2.trycloudflare.com");
    } finally {
      await app.stop();
    }
  }, 120_000);
});

describe("deploy files", () => {
  const dockerfile = fs.readFileSync("Dockerfile", "utf8");

  it("the Dockerfile builds with the production-install script, runs as a non-root user and checks /healthz", () => {
    expect(dockerfile).toMatch(/^FROM .+ AS build$/m);
    expect(dockerfile).toMatch(/^RUN bash scripts\/production-install\.sh build$/m);
    expect(dockerfile).toMatch(/^FROM .+ AS runtime$/m);
    const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
    expect(runtime).toMatch(/^USER (?!root)\S+$/m);
    expect(runtime).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(runtime).not.toMatch(/npm (ci|install)/); // production dependencies come pruned from the build stage
  });

  it("fly.toml migrates as its release step and checks /healthz", () => {
    const fly = parse(fs.readFileSync("fly.toml", "utf8")) as {
      deploy: { release_command: string };
      http_service: { internal_port: number; checks: Array<{ path: string }> };
      env: Record<string, string>;
    };
    expect(fly.deploy.release_command).toBe("npm run db:migrate");
    expect(fly.http_service.checks.map((c) => c.path)).toContain("/healthz");
    expect(String(fly.http_service.internal_port)).toBe(fly.env.PORT);
    expect(fly.env.NODE_ENV).toBe("production");
  });
});
