/**
 * The app's clock. Session rules compare against this time (it is passed to
 * the SQL functions as p_now), so tests move time instead of sleeping.
 */
import { setTimeout as wait } from "node:timers/promises";

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

// --- waiting -------------------------------------------------------------------
//
// Waits the app chooses to make (retry backoff, Retry-After, the platform
// sandbox's simulated latency) go through plannedWait/sleep. Under virtual
// time (tests and the sandbox only, never production) such a wait moves the
// clock by its length and returns at once, so a test of "waits 2 s as told"
// takes no time and can still check, on the app's clock, that 2 s passed.
let virtualTime = false;

export function setVirtualTime(on: boolean): void {
  virtualTime = on;
}

export function isVirtualTime(): boolean {
  return virtualTime;
}

/** How long to really wait for a planned wait of `ms`: `ms`, or 0 under virtual time (the clock moves instead). */
export function plannedWait(ms: number): number {
  const wait = Math.max(0, Math.round(ms));
  if (!virtualTime) return wait;
  advanceClock(wait);
  return 0;
}

/** Wait `ms` (see plannedWait); rejects with the signal's reason if it is aborted first. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const real = plannedWait(ms);
  if (real === 0) return;
  await wait(real, undefined, { signal });
}
