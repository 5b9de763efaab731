/**
 * The fuzzing requirement cannot shrink unnoticed: the budgets add up to at
 * least 10,000 generated inputs at FUZZ_SCALE=1, each budget is spent by
 * exactly one property (a removed property cannot leave its count behind),
 * and every kept regression belongs to a property that replays it.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FUZZ_BUDGET, REQUIRED_INPUTS } from "./support";

const DIR = import.meta.dirname;
const suites = fs.readdirSync(DIR).filter((file) => file.endsWith(".test.ts") && file !== "budget.test.ts");

/** `fuzz("name", …)` calls, per property name, across the fuzz suites. */
function propertyCalls(): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  for (const file of suites) {
    for (const match of fs.readFileSync(path.join(DIR, file), "utf8").matchAll(/\bfuzz\(\s*"([A-Za-z0-9]+)"/g)) {
      calls.set(match[1], [...(calls.get(match[1]) ?? []), file]);
    }
  }
  return calls;
}

describe("the fuzzing budget", () => {
  it(`adds up to at least ${REQUIRED_INPUTS.toLocaleString("en")} generated inputs at FUZZ_SCALE=1`, () => {
    const total = Object.values(FUZZ_BUDGET).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(REQUIRED_INPUTS);
  });

  it("spends each budget in exactly one property, and no property runs without one", () => {
    const calls = propertyCalls();
    const byBudget = Object.keys(FUZZ_BUDGET).map((name) => [name, calls.get(name) ?? []]);
    expect(byBudget.filter(([, files]) => files.length !== 1)).toEqual([]);
    expect([...calls.keys()].filter((name) => !(name in FUZZ_BUDGET))).toEqual([]);
  });

  it("keeps regressions only for properties that replay them", () => {
    const kept = Object.keys(JSON.parse(fs.readFileSync(path.join(DIR, "regressions.json"), "utf8")) as object);
    expect(kept.filter((name) => !(name in FUZZ_BUDGET))).toEqual([]);
  });
});
