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
