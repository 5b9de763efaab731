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

/**
 * `npm run dev`: one readable line per event (pino-pretty, a development
 * dependency, in a worker thread). Production and tests keep JSON lines,
 * which log collectors parse. LOG_FORMAT=json keeps JSON in development too.
 */
function prettyInDevelopment(): pino.TransportSingleOptions | undefined {
  if (process.env.NODE_ENV !== "development" || process.env.LOG_FORMAT === "json") return undefined;
  return { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname,app" } };
}

function createLogger(destination?: pino.DestinationStream) {
  const options: pino.LoggerOptions = {
    level: process.env.LOG_LEVEL || (process.env.NODE_ENV === "test" ? "silent" : "info"),
    base: { app: "embedded-sessions" },
    redact: { paths: redact, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const transport = destination ? undefined : prettyInDevelopment();
  return transport ? pino({ ...options, transport }) : pino(options, destination);
}

export let logger = createLogger();

/** Tests: send every log line to a stream to inspect it. */
export function captureLogs(destination: pino.DestinationStream, level = "debug"): void {
  logger = createLogger(destination);
  logger.level = level;
}
