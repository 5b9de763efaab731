import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "~": path.resolve(import.meta.dirname, "app") },
  },
  test: {
    include: ["app/**/*.test.{ts,tsx}", "tests/**/*.test.ts"],
    exclude: ["node_modules/**", "build/**"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: {
      NODE_ENV: "test",
      APP_URL: "https://app.test.example",
      SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
      TOKEN_ENCRYPTION_KEY: "0000000000000000000000000000000000000000000000000000000000000001",
      PGLITE_DIR: "memory://",
      LOG_LEVEL: "silent",
    },
  },
});
