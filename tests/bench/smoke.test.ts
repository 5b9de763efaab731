/**
 * The benchmark cannot rot: `npm run bench -- --smoke` (tiny sizes, one
 * repetition) runs end to end and writes its report. No timing is asserted:
 * the numbers of a smoke run mean nothing.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { postgresAvailable, TEST_DATABASE_URL } from "../support/databases";

describe.runIf(postgresAvailable())("npm run bench -- --smoke", () => {
  it("measures every section and writes BENCHMARKS.md and the chart", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["node_modules/tsx/dist/cli.mjs", "bench/run.ts", "--smoke", "--out", out],
      { env: { ...process.env, TEST_DATABASE_URL }, timeout: 540_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const report = fs.readFileSync(path.join(out, "BENCHMARKS.md"), "utf8");
    for (const heading of [
      "## Targets",
      "## requireAppSession vs. the floor",
      "## The peer: better-auth",
      "## Over HTTP",
      "## Cleanup under live traffic",
      "## Platform sessions: our store vs the peer",
      "## Seed 003's scenario: three clicks",
    ]) {
      expect(report).toContain(heading);
    }
    expect(report).toContain("Smoke run");
    for (const backend of ["PGlite", "PostgreSQL", "Supabase adapter"]) expect(report).toContain(`| ${backend} |`);
    // The floors are the bare drivers', our wrapper's ping() beside them; better-auth, CPU per request and memory are measured.
    for (const text of [
      "bare floor p50",
      "our wrapper's ping() p50",
      "better-auth getSession p50",
      "better-auth (database session, cookie cache off)",
      "CPU / req",
      "**Memory.**",
      "requireAppSession p50 on PostgreSQL at 500 live sessions",
    ]) {
      expect(report).toContain(text);
    }
    expect(fs.readFileSync(path.join(out, "benchmarks.svg"), "utf8")).toMatch(/^<svg /);
    expect(stdout).toMatch(/(MET|MISSED) /);
    fs.rmSync(out, { recursive: true, force: true });
  }, 600_000);
});
