// The HTTP server: Express around the Remix build.
//
// A custom server (rather than remix-serve) so that every response, static
// files included, carries the security headers; the client address is
// resolved once (trust proxy) for the session's IP; settings are checked and
// the database opened before the port is bound; and shutdown closes the
// database cleanly (the embedded PGlite flushes and releases its folder).
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import { createRequestHandler } from "@remix-run/express";
import { broadcastDevReady } from "@remix-run/node";
import express from "express";
import onHeaders from "on-headers";

const root = path.dirname(url.fileURLToPath(import.meta.url));
// REMIX_BUILD_DIR: only the benchmark sets it (its build carries comparison routes).
const BUILD_DIR = path.join(root, process.env.REMIX_BUILD_DIR ?? "build");
const BUILD_PATH = path.join(BUILD_DIR, "index.js");
const isDevelopment = process.env.NODE_ENV === "development";

// A local .env is read if present; real environment variables win.
if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));

const DEFAULT_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  // Pages the admin frames set their own frame-ancestors (app/lib/security.server.ts).
  "Content-Security-Policy": "frame-ancestors 'none'",
};

async function importBuild() {
  const stamp = fs.statSync(BUILD_PATH).mtimeMs;
  return import(`${url.pathToFileURL(BUILD_PATH).href}?t=${stamp}`);
}

let build;
try {
  build = await importBuild();
} catch (error) {
  console.error(`Cannot load the app build at ${BUILD_PATH}: run "npm run build" first.\n${error.message}`);
  process.exit(1);
}

let settings;
try {
  settings = await build.entry.module.boot();
} catch (error) {
  if (error?.name === "ConfigError") {
    console.error(`\n${error.message}\n\nFix the variables above (see .env.example) and start again.\n`);
  } else {
    console.error(`The app could not start: ${error?.message ?? error}`);
  }
  process.exit(1);
}

if (settings.devSecretsFile) {
  console.warn(
    [
      "",
      "  ┌─ WARNING ──────────────────────────────────────────────────────────",
      "  │ SESSION_SECRET / TOKEN_ENCRYPTION_KEY are not set. Using development",
      `  │ secrets generated into ${settings.devSecretsFile}`,
      "  │ Fine on your machine; production refuses to start without them.",
      "  └────────────────────────────────────────────────────────────────────",
      "",
    ].join("\n"),
  );
}

const app = express();
app.disable("x-powered-by");
app.set("trust proxy", settings.trustProxy);

app.use((req, res, next) => {
  onHeaders(res, function setDefaults() {
    for (const [name, value] of Object.entries(DEFAULT_HEADERS)) {
      if (!this.hasHeader(name)) this.setHeader(name, value);
    }
  });
  // The session records the client's address as Express resolved it; a
  // client-sent header of this name is discarded.
  req.headers["x-client-ip"] = req.ip ?? "";
  // One id per request: logs correlate on it, and Remix's parallel loaders
  // share per-request state through it (app/lib/sessions/request-context.server.ts).
  req.headers["x-request-id"] = randomUUID();
  // Remix strips `_data` before loaders see the URL; keep the fact that this
  // is a data request so refusals answer JSON (app/lib/http.server.ts).
  if (Object.hasOwn(req.query, "_data")) req.headers["x-remix-data"] = "1";
  else delete req.headers["x-remix-data"];
  next();
});

// Before anything else answers: malformed addresses (400), methods a route
// does not take (405 with Allow), cross-site unsafe requests for every route
// (403; Remix would THROW on a document form's foreign Origin), declared
// bodies past any route's limit (413); and a body left unread after the
// answer is discarded so the client gets it (app/lib/request-guards.server.ts).
app.use(build.entry.module.requestGuards(() => build));

const assets = `/${path.basename(BUILD_DIR)}`;
app.use(assets, express.static(path.join(root, "public", path.basename(BUILD_DIR)), { immutable: true, maxAge: "1y" }));
// Other files in public/ (favicon, robots.txt): only paths that look like files
// are looked up, so page and data requests cost no filesystem stat.
const publicFiles = express.static(path.join(root, "public"), { maxAge: "1h", index: false });
app.use((req, res, next) => (/\.[a-z0-9]+$/i.test(req.path) ? publicFiles(req, res, next) : next()));

if (isDevelopment) {
  // `remix dev --manual`: reload the rebuilt server code in place, so the
  // embedded database stays open across rebuilds.
  fs.watch(BUILD_DIR, async (_event, file) => {
    if (file !== "version.txt") return;
    try {
      build = await importBuild();
      await broadcastDevReady(build);
    } catch (error) {
      console.error(error);
    }
  });
  app.all("*", (req, res, next) => createRequestHandler({ build, mode: "development" })(req, res, next));
} else {
  // Production rendering (errors sanitised, no stacks) for production and test runs alike.
  app.all("*", createRequestHandler({ build, mode: "production" }));
}

// Last resort: never a stack trace to the client.
app.use((error, _req, res, _next) => {
  // Express's own 4xx (e.g. a static file path that does not decode) keep their status.
  const status = Number(error?.status ?? error?.statusCode);
  if (status >= 400 && status < 500) {
    if (res.headersSent) return res.end();
    return res.status(status).json({ error: "bad_request", message: "The request could not be served." });
  }
  console.error(error);
  if (res.headersSent) return res.end();
  res.status(500).json({ error: "internal", message: "Something went wrong. Please try again." });
});

const server = app.listen(settings.port, () => {
  const { port } = server.address();
  console.log(`App listening on http://localhost:${port} (database: ${settings.backend}, APP_URL: ${settings.appUrl})`);
  if (isDevelopment) broadcastDevReady(build);
});

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal} received: closing`);
  server.close();
  server.closeIdleConnections?.();
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  try {
    await build.entry.module.shutdown();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
