/**
 * Fuzzing budget and kept regressions.
 *
 * FUZZ_SCALE scales every run count (default 1: at least 10,000 generated
 * inputs across the fuzz suites; CI runs the same). Any input that once made
 * a property fail is added to regressions.json under its suite and replayed
 * first on every run, for ever.
 */
import fs from "node:fs";
import path from "node:path";

const scale = Number(process.env.FUZZ_SCALE ?? "1") || 1;
const runs = (n: number) => Math.max(10, Math.round(n * scale));

export const FUZZ_RUNS = {
  cookies: runs(3000),
  mutations: runs(600),
  authorization: runs(2500),
  forms: runs(1500),
};

const REGRESSIONS = path.join(import.meta.dirname, "regressions.json");

/** Kept failing inputs of one suite, as fast-check `examples` (one argument per property). */
export function regressionExamples(suite: string): [string][] {
  const all = JSON.parse(fs.readFileSync(REGRESSIONS, "utf8")) as Record<string, string[]>;
  return (all[suite] ?? []).map((input) => [input]);
}
