/**
 * Capture the app's pino lines in-process (the logger is replaced for the
 * test file; each line is parsed JSON). For the built app over HTTP, use
 * RunningApp.output() instead.
 */
import { Writable } from "node:stream";
import { captureLogs } from "~/lib/log.server";

export interface CapturedLogs {
  /** Every line so far, parsed. */
  lines(): Array<Record<string, unknown>>;
  /** Lines whose `event` is this one (e.g. "session.auth_failed"). */
  events(event: string): Array<Record<string, unknown>>;
  /** Everything as written, for scanning. */
  text(): string;
  clear(): void;
}

export function captureLogLines(level = "debug"): CapturedLogs {
  let text = "";
  captureLogs(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    level,
  );
  const lines = () =>
    text
      .split("\n")
      .filter((line) => line.trim().startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    lines,
    events: (event) => lines().filter((line) => line.event === event),
    text: () => text,
    clear: () => {
      text = "";
    },
  };
}
