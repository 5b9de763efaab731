/**
 * docs/SECURITY.md maps each security requirement to the tests that prove
 * it. This keeps the map true: every row names at least one test, as
 * `path/to/file.ts` › "title"; the file exists; the title is a test of that
 * file, written as in the source (a title built from a template string is
 * named by its template, `${…}` and all). A title may be prefixed by the
 * titles of its describe blocks, joined by " › ", when the test's own title
 * is not enough to find it. A skipped or to-do test proves nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const DOC = "docs/SECURITY.md";

interface Title {
  kind: "describe" | "test";
  title: string;
  skipped: boolean;
}

/**
 * The titles of a test file's describe/it/test calls as written:
 * `it("…")`, `it.runIf(cond)("…")`, `it.each([…])("…")`, `describe.skip("…")`…
 */
export function titlesOf(source: string): Title[] {
  const call = /\b(describe|it|test)((?:\.\w+(?:\((?:[^()]|\([^()]*\))*\))?)*)\(\s*(["'`])((?:\\[\s\S]|(?!\3)[^\\])*)\3/g;
  return [...source.matchAll(call)].map(([, fn, modifiers, , raw]) => ({
    kind: fn === "describe" ? "describe" : "test",
    title: raw.replace(/\\(["'`\\])/g, "$1"),
    skipped: /\.(skip|todo)\b(?!If)/.test(modifiers),
  }));
}

interface Row {
  id: string;
  requirement: string;
  standard: string;
  proofs: Array<{ file: string; title: string }>;
}

/** The rows of the requirements table: `| id | requirement | standard | how | proved by |`. */
export function requirementRows(markdown: string): Row[] {
  return markdown
    .split("\n")
    .filter((line) => /^\|\s*S\d+\s*\|/.test(line))
    .map((line) => {
      const cells = line.slice(1, line.trimEnd().length - 1).split(" | ").map((c) => c.trim());
      const proved = cells[cells.length - 1];
      const proofs = [...proved.matchAll(/`([^`]+)` › "(.+?)"(?=\s*(?:<br>|$))/g)].map(([, file, title]) => ({ file, title }));
      return { id: cells[0], requirement: cells[1], standard: cells[2], proofs };
    });
}

/** Why a proof does not hold, or null when it does. */
function problemWith(proof: { file: string; title: string }): string | null {
  const file = path.join(ROOT, proof.file);
  if (!proof.file.startsWith("tests/") && !proof.file.startsWith("app/")) return `${proof.file} is not a test file`;
  if (!fs.existsSync(file)) return `${proof.file} does not exist`;
  const titles = titlesOf(fs.readFileSync(file, "utf8"));
  const parts = proof.title.split(" › ");
  const testTitle = parts[parts.length - 1];
  const test = titles.find((t) => t.kind === "test" && t.title === testTitle);
  if (!test) return `${proof.file} has no test titled "${testTitle}"`;
  if (test.skipped) return `${proof.file}: "${testTitle}" is skipped`;
  for (const suite of parts.slice(0, -1)) {
    if (!titles.some((t) => t.kind === "describe" && t.title === suite)) return `${proof.file} has no describe titled "${suite}"`;
  }
  return null;
}

describe("docs/SECURITY.md", () => {
  const markdown = fs.readFileSync(path.join(ROOT, DOC), "utf8");
  const rows = requirementRows(markdown);

  it("has a requirements table whose ids are unique", () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it("every row cites the OWASP cheat sheet or ASVS and names at least one test", () => {
    const unsourced = rows.filter((r) => !/OWASP|ASVS/.test(r.standard)).map((r) => r.id);
    const unproved = rows.filter((r) => r.proofs.length === 0).map((r) => `${r.id} (${r.requirement})`);
    expect(unsourced).toEqual([]);
    expect(unproved).toEqual([]);
  });

  it("every test it names exists, in the file it names", () => {
    const problems = rows.flatMap((r) => r.proofs.map((p) => problemWith(p)).filter((p) => p !== null).map((p) => `${r.id}: ${p}`));
    expect(problems).toEqual([]);
  });

  it("the checks would catch a wrong file, a wrong title and a skipped test", () => {
    const source = 'describe("suite", () => {\n  it("real test", () => {});\n  it.skip("skipped test", () => {});\n  it.runIf(ok)(`templated ${x} test`, () => {});\n});';
    expect(titlesOf(source)).toEqual([
      { kind: "describe", title: "suite", skipped: false },
      { kind: "test", title: "real test", skipped: false },
      { kind: "test", title: "skipped test", skipped: true },
      { kind: "test", title: "templated ${x} test", skipped: false },
    ]);
    expect(problemWith({ file: "tests/docs/no-such.test.ts", title: "x" })).toMatch(/does not exist/);
    expect(problemWith({ file: "tests/docs/security-doc.test.ts", title: "a test nobody wrote" })).toMatch(/has no test titled/);
    expect(problemWith({ file: "tests/docs/security-doc.test.ts", title: "docs/SECURITY.md › has a requirements table whose ids are unique" })).toBeNull();
    expect(problemWith({ file: "tests/docs/security-doc.test.ts", title: "no such suite › has a requirements table whose ids are unique" })).toMatch(/no describe/);
    const row = requirementRows('| S1 | r | ASVS | how | `a.test.ts` › "one "quoted" title"<br>`b.test.ts` › "two" |');
    expect(row[0].proofs).toEqual([
      { file: "a.test.ts", title: 'one "quoted" title' },
      { file: "b.test.ts", title: "two" },
    ]);
  });
});
