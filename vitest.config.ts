import path from "node:path";
import { defineConfig } from "vitest/config";

const HEAVY = ["tests/e2e/**/*.test.ts", "tests/reliability/**/*.test.ts", "tests/bench/**/*.test.ts"];

export default defineConfig({
  resolve: {
    alias: { "~": path.resolve(import.meta.dirname, "app") },
  },
  test: {
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: {
      NODE_ENV: "test",
      APP_URL: "https://app.test.example",
      SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
      TOKEN_ENCRYPTION_KEY: "f713f49d343545985f5e524b3721d79986de8cf2581e74b6d6342fa4f76cfa6e",
      PGLITE_DIR: "memory://",
      LOG_LEVEL: "silent",
    },
    projects: [
      {
        extends: true,
        test: {
          name: "core",
          include: ["app/**/*.test.{ts,tsx}", "tests/**/*.test.ts"],
          exclude: ["node_modules/**", "build/**", ...HEAVY],
        },
      },
      {
        // Browser, load and outage suites measure behaviour under load: they run
        // after the rest, one file at a time, so they do not starve each other.
        extends: true,
        test: {
          name: "heavy",
          include: HEAVY,
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      },
    ],
  },
});
