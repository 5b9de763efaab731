/**
 * Structured JSON logs (pino). Anything that could carry a credential is
 * redacted by path, and callers log session ids, never tokens.
 */
import pino from "pino";

const redact = [
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "cookie",
  "*.cookie",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "id_token",
  "*.id_token",
  "account",
  "*.account",
];

function createLogger(destination?: pino.DestinationStream) {
  return pino(
    {
      level: process.env.LOG_LEVEL || (process.env.NODE_ENV === "test" ? "silent" : "info"),
      base: { app: "embedded-sessions" },
      redact: { paths: redact, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export let logger = createLogger();

/** Tests: send every log line to a stream to inspect it. */
export function captureLogs(destination: pino.DestinationStream, level = "debug"): void {
  logger = createLogger(destination);
  logger.level = level;
}
