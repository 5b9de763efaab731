/**
 * Start the built app (server.js + build/) on a free port, as production
 * runs it, and stop it after the test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface RunningApp {
  url: string;
  port: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
  process: ChildProcess;
}

const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** NODE_ENV=test: production rendering and cookies (APP_URL is https), with the platform sandbox available. */
export const TEST_APP_ENV = {
  NODE_ENV: "test",
  APP_URL: "https://app.test.example",
  SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
  TOKEN_ENCRYPTION_KEY: "f713f49d343545985f5e524b3721d79986de8cf2581e74b6d6342fa4f76cfa6e",
  PGLITE_DIR: "memory://",
  // Tests that start the app with NODE_ENV=production run it on the in-memory PGlite on purpose.
  ALLOW_PGLITE_IN_PRODUCTION: "1",
  LOG_LEVEL: "info",
  // Every test request comes from one address (loopback), and many suites fail
  // credentials on purpose: the per-IP failure throttles are off unless a suite
  // proves them (tests/http/rate-limit-attacks.test.ts turns them on).
  RATE_LIMIT_ENTRY_FAILURES_IP: "off",
  RATE_LIMIT_INSTALL_AUTH_FAILURES_IP: "off",
  RATE_LIMIT_OPERATOR_FAILURES_IP: "off",
};

export async function startApp(env: Record<string, string | undefined> = {}): Promise<RunningApp> {
  const childEnv: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...TEST_APP_ENV,
    PORT: "0",
    ...env,
  };
  const child = spawn(process.execPath, ["server.js"], {
    cwd: ROOT,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start within 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = /App listening on http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    url: `http://localhost:${port}`,
    port,
    output: () => output,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Start the app and expect it to refuse: resolves to its exit code and output. */
export async function startAppExpectingFailure(
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  const childEnv: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", ...env };
  const child = spawn(process.execPath, ["server.js"], {
    cwd: ROOT,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, 30_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, output };
}
