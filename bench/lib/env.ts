// Imported first by bench/run.ts: settings must exist before any app module reads them.
process.env.NODE_ENV ??= "test";
process.env.APP_URL ??= "https://app.bench.example";
process.env.SESSION_SECRET ??= "test-session-secret-0123456789abcdef0123456789";
process.env.TOKEN_ENCRYPTION_KEY ??= "0000000000000000000000000000000000000000000000000000000000000001";
process.env.LOG_LEVEL ??= "silent";
process.env.PGLITE_DIR ??= "memory://";
