/**
 * Fuzzing budget and kept regressions.
 *
 * FUZZ_BUDGET is how many generated inputs each property gets at
 * FUZZ_SCALE=1 (the default, and what CI runs); together they are the
 * requirement's "at least 10,000 generated inputs", which
 * tests/fuzz/budget.test.ts holds: the sum, and every budget spent by exactly
 * one property. FUZZ_SCALE scales every count (e.g. 10 for a long local run).
 *
 * Every property runs through `fuzz()`: an input that once made it fail is
 * written to regressions.json under the property's name (ready to commit
 * with the fix) and replayed first on every run, for ever. An input is the
 * property's one argument, a string or a JSON record, so it can be kept.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";

const scale = Number(process.env.FUZZ_SCALE ?? "1") || 1;

/** The requirement (issue 9): at least this many generated inputs per run at FUZZ_SCALE=1. */
export const REQUIRED_INPUTS = 10_000;

export const FUZZ_BUDGET = {
  // session-credentials.test.ts (in process, PGlite)
  cookies: 3000,
  cookieMutations: 600,
  authorization: 2500,
  tokenMutations: 600,
  // forms.test.ts (HTTP, PostgreSQL)
  forms: 1500,
  // shopify-session-tokens.test.ts (HTTP, PostgreSQL)
  shopifyBearer: 1000,
  shopifyEntry: 800,
  // shopify-webhooks.test.ts (HTTP, PostgreSQL)
  webhooksForged: 700,
  webhooksSigned: 700,
  // commerce7-install.test.ts (HTTP, PostgreSQL)
  commerce7Auth: 600,
  commerce7Bodies: 800,
} as const;

export type FuzzProperty = keyof typeof FUZZ_BUDGET;

/** Time for one property test: a few seconds alone, more when the whole suite shares the machine; scaled with the runs. */
export const FUZZ_TIMEOUT_MS = Math.max(1, scale) * 120_000;

export const FUZZ_RUNS = Object.fromEntries(
  Object.entries(FUZZ_BUDGET).map(([name, runs]) => [name, Math.max(10, Math.round(runs * scale))]),
) as Record<FuzzProperty, number>;

/** Characters that break naive code: NUL and other controls, lone surrogates, noncharacters, BOM, RTL override, quotes, markup, line breaks, emoji. */
const NASTY = ["\u0000", "\u0001", "\u0007", "\u001f", "\u007f", "\u0085", "\ud800", "\udfff", "\uffff", "\ufeff", "\u202e", "'", '"', "\\", "%00", "\n", "\r\n", "<", "&", "😀"];

/** Any text: printable ASCII, any code point, or pieces mixed with NASTY characters (which plain generators rarely draw). */
export function anyString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: "binary", maxLength }),
    fc
      .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: Math.max(1, Math.floor(maxLength / 3)) })
      .map((parts) => parts.join("").slice(0, maxLength)),
  );
}

const REGRESSIONS = path.join(import.meta.dirname, "regressions.json");

function readRegressions(): Record<string, unknown[]> {
  return JSON.parse(fs.readFileSync(REGRESSIONS, "utf8")) as Record<string, unknown[]>;
}

/** Kept failing inputs of one property, as fast-check `examples`. */
export function regressionExamples<T>(property: FuzzProperty): [T][] {
  return ((readRegressions()[property] ?? []) as T[]).map((input) => [input]);
}

/** Add a failing input to regressions.json (once). */
function keepRegression(property: FuzzProperty, input: unknown): boolean {
  const all = readRegressions();
  const kept = (all[property] ??= []);
  const text = JSON.stringify(input);
  if (text === undefined || kept.some((k) => JSON.stringify(k) === text)) return false;
  kept.push(JSON.parse(text));
  fs.writeFileSync(REGRESSIONS, `${JSON.stringify(all, null, 2)}\n`);
  return true;
}

/**
 * Check `predicate` (which throws, e.g. with expect, on a bad outcome) for
 * the property's budget of generated inputs, its kept regressions first. A
 * failure is kept in regressions.json (the shrunk input) before it is reported.
 */
export async function fuzz<T>(
  property: FuzzProperty,
  arbitrary: fc.Arbitrary<T>,
  predicate: (input: T) => Promise<boolean | void>,
): Promise<void> {
  const examples = regressionExamples<T>(property);
  const details = await fc.check(fc.asyncProperty(arbitrary, predicate), {
    // fast-check counts the examples among numRuns: the budget is what is generated on top.
    numRuns: FUZZ_RUNS[property] + examples.length,
    examples,
  });
  if (!details.failed) return;
  const counterexample = details.counterexample?.[0];
  const kept = details.counterexample ? keepRegression(property, counterexample) : false;
  const note = kept ? `\nThe input is now kept in tests/fuzz/regressions.json under "${property}": commit it with the fix.` : "";
  throw new Error(`${fc.defaultReportMessage(details) ?? `fuzzing "${property}" failed`}${note}`, { cause: details.errorInstance });
}
