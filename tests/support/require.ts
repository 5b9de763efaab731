/**
 * Suites that need something from the machine (PostgreSQL, Chromium) say so
 * when it is absent and are skipped; with REQUIRE_ALL_SUITES=1 (CI) a missing
 * dependency fails the run instead, so nothing is silently skipped there.
 */
export function requireOrSkip(what: string, available: boolean, howToEnable: string): boolean {
  if (available) return true;
  const message = `${what} suite SKIPPED: ${howToEnable}`;
  if (process.env.REQUIRE_ALL_SUITES === "1") {
    throw new Error(`${message} (REQUIRE_ALL_SUITES=1 forbids skipping)`);
  }
  console.warn(`\n  ⚠ ${message}\n`);
  return false;
}
