/**
 * The docs stay true: every `npm run` they show exists, every operator CLI
 * command they show is one the CLI has, and every setting the app reads is
 * in .env.example and in docs/DEPLOY.md. (The commands themselves are run by
 * tests/cli, tests/http/operations and tests/migration.)
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

describe("documentation", () => {
  it("every `npm run <script>` in README.md and docs/ exists in package.json", () => {
    const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);
    const missing = DOCS.flatMap((file) =>
      [...read(file).matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)].map((m) => m[1]).filter((s) => !scripts.includes(s)).map((s) => `${file}: npm run ${s}`),
    );
    expect(missing).toEqual([]);
  });

  it("every `npm run sessions -- <command>` shown is a command of the CLI", () => {
    const commands = [...read("scripts/sessions.ts").matchAll(/\.command\("([a-z]+)"\)/g)].map((m) => m[1]);
    expect(commands).toEqual(["stats", "list", "revoke", "cleanup"]);
    const unknown = DOCS.flatMap((file) =>
      [...read(file).matchAll(/npm run sessions -- (?:--json )?([a-z]+)/g)].map((m) => m[1]).filter((c) => !commands.includes(c)).map((c) => `${file}: ${c}`),
    );
    expect(unknown).toEqual([]);
  });

  it("every setting the app parses is listed in .env.example and docs/DEPLOY.md", () => {
    const settings = [...read("app/lib/env.server.ts").matchAll(/^ {2}([A-Z][A-Z0-9_]{2,}):/gm)].map((m) => m[1]).filter((name) => name !== "NODE_ENV");
    expect(settings).toContain("SESSION_CLEANUP_CRON");
    const example = read(".env.example");
    const deploy = read("docs/DEPLOY.md");
    expect(settings.filter((name) => !new RegExp(`^${name}=`, "m").test(example))).toEqual([]);
    expect(settings.filter((name) => !deploy.includes(`\`${name}\``))).toEqual([]);
  });
});

describe("DEPLOY.md's production requirements are what the app enforces", () => {
  it("every variable the list names is refused when missing, and nothing else is required", async () => {
    const { ConfigError, parseEnv } = await import("~/lib/env.server");
    const deploy = read("docs/DEPLOY.md");
    const section = deploy.slice(deploy.indexOf("Required in production"), deploy.indexOf("| setting | default | what |"));
    const listed = new Set([...section.matchAll(/^- `([A-Z0-9_]+)`/gm)].map((m) => m[1]));
    const conditional = new Set([...section.matchAll(/^- with `[A-Z0-9_]+`: `([A-Z0-9_]+)` and\s+`([A-Z0-9_]+)`/gm)].flatMap((m) => [m[1], m[2]]));
    const named = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems.map((p) => p.slice(0, p.indexOf(":")));
      }
    };
    expect([...listed].sort()).toEqual(["APP_URL", "DATABASE_URL", "SESSION_SECRET", "TOKEN_ENCRYPTION_KEY"]);
    expect(new Set(named({ NODE_ENV: "production", PGLITE_DIR: "memory://" }))).toEqual(listed);
    const production = {
      NODE_ENV: "production",
      PGLITE_DIR: "memory://",
      APP_URL: "https://app.example.com",
      SESSION_SECRET: "a8Kq2vLx9Zr4Tn7Wc1Yp5Hs3Jd6Fg0Bm+Ue/Qi",
      TOKEN_ENCRYPTION_KEY: "f713f49d343545985f5e524b3721d79986de8cf2581e74b6d6342fa4f76cfa6e",
      DATABASE_URL: "postgres://app@db.internal:5432/app",
    };
    expect(named(production)).toEqual([]);
    expect(new Set(named({ ...production, COMMERCE7_APP_ID: "id", COMMERCE7_APP_SECRET: "secret" }))).toEqual(
      new Set([...conditional].filter((name) => name === "COMMERCE7_INSTALL_PASSWORD")),
    );
    expect(conditional).toEqual(new Set(["COMMERCE7_INSTALL_USER", "COMMERCE7_INSTALL_PASSWORD"]));
  });
});
