import { useSyncExternalStore } from "react";

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "2 minutes ago", "in 8 hours", "just now": the same words on the server and in the browser. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size * 0.95 || unit === "minute") return format.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** A date and time in the merchant's own time zone (the browser's). */
export function localDateTime(iso: string): string {
  return new Date(iso).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
}

/** A length of time in words: 10080 minutes → "7 days", 90 → "1 hour 30 minutes". */
export function durationInWords(totalMinutes: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (totalMinutes >= 24 * 60 && totalMinutes % (24 * 60) === 0) return plural(totalMinutes / (24 * 60), "day");
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  if (hours === 0) return plural(minutes, "minute");
  return minutes ? `${plural(hours, "hour")} ${plural(minutes, "minute")}` : plural(hours, "hour");
}

/**
 * A moment as a merchant reads it: relative ("2 minutes ago") with the full
 * local date and time on hover, or beside it (`withDate`). The
 * server cannot know the browser's time zone, so the local form appears once
 * the page runs in the browser (the server renders the relative words, which
 * do not depend on a zone).
 */
export function Time({ iso, withDate = false }: { iso: string; withDate?: boolean }) {
  // The clock, re-read every 30 s; the time zone only once in the browser (false on the server and while hydrating).
  const tick = useSyncExternalStore(subscribeToTicks, currentTick, currentTick);
  const inBrowser = useSyncExternalStore(subscribeToNothing, () => true, () => false);
  const relative = relativeTime(iso, tick * TICK_MS);
  const local = inBrowser ? localDateTime(iso) : null;
  const text = withDate && local ? `${relative} (${local})` : relative;
  return (
    <time dateTime={iso} title={local ?? undefined} suppressHydrationWarning>
      {text}
    </time>
  );
}

const TICK_MS = 30_000;
function currentTick(): number {
  return Math.floor(Date.now() / TICK_MS);
}
function subscribeToNothing(): () => void {
  return () => {};
}
function subscribeToTicks(onChange: () => void): () => void {
  const timer = window.setInterval(onChange, TICK_MS);
  return () => window.clearInterval(timer);
}
