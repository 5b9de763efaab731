/**
 * The app's clock. Session rules compare against this time (it is passed to
 * the SQL functions as p_now), so tests move time instead of sleeping.
 */
let offsetMs = 0;
let frozenAt: number | null = null;

export function now(): Date {
  return new Date((frozenAt ?? Date.now()) + offsetMs);
}

/** Tests: shift the clock forward (or back) by ms. */
export function advanceClock(ms: number): void {
  offsetMs += ms;
}

/** Tests: stop the clock at a given time (null lets it run again). */
export function freezeClock(at: Date | null): void {
  frozenAt = at ? at.getTime() : null;
  offsetMs = 0;
}

export function resetClock(): void {
  offsetMs = 0;
  frozenAt = null;
}
