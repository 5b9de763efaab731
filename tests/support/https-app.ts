/**
 * The built app behind HTTPS, for browser tests that must see it as
 * production serves it: https origins, so its cookie is the real one
 * (`__Host-app_session; Secure; SameSite=None; Partitioned`), and the
 * platform sandboxes' admin pages optionally on ANOTHER SITE than the app
 * (https://localhost:<port> framing https://127.0.0.1:<port>), so the app is
 * the third party it is inside the real admins.
 *
 * A TLS proxy (node:tls, a throwaway self-signed certificate made with
 * openssl) forwards to the app's plain-HTTP port; the browser is told to
 * accept the certificate (`ignoreHTTPSErrors`). The app is configured the
 * way a deployment would be: APP_URL is the https address the browser uses,
 * SANDBOX_ADMIN_URL the sandbox admin's site.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { startApp, type RunningApp } from "./app-server";
import { requireOrSkip } from "./require";

let certificate: { key: Buffer; cert: Buffer } | null = null;

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function httpsAvailable(): boolean {
  return requireOrSkip("HTTPS test server (openssl)", hasOpenssl(), "openssl not found (apt-get install openssl)");
}

/** A self-signed certificate for localhost and 127.0.0.1, made once per test process. */
function testCertificate(): { key: Buffer; cert: Buffer } {
  if (certificate) return certificate;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "app-tls-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", keyFile, "-out", certFile,
    ],
    { stdio: "ignore" },
  );
  certificate = { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
  fs.rmSync(dir, { recursive: true, force: true });
  return certificate;
}

export interface TlsProxy {
  port: number;
  /** Where decrypted connections go (the app's HTTP port); set once the app listens. */
  forwardTo(port: number): void;
  close(): Promise<void>;
}

export async function startTlsProxy(): Promise<TlsProxy> {
  let target = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(testCertificate(), (client) => {
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    forwardTo(port) {
      target = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface HttpsApp {
  app: RunningApp;
  /** APP_URL: https://127.0.0.1:<port> */
  appUrl: string;
  /** Where the sandbox admins are opened: the app's own origin, or https://localhost:<port> (another site). */
  adminUrl: string;
  close(): Promise<void>;
}

/**
 * Start the app behind HTTPS at https://127.0.0.1:<port>. `adminSite:
 * "other"` puts the sandbox admins on https://localhost:<port>: another site
 * (SANDBOX_ADMIN_URL), allowed in the app's frame-ancestors.
 */
export async function startHttpsApp(options: { adminSite?: "same" | "other"; env?: Record<string, string> } = {}): Promise<HttpsApp> {
  const proxy = await startTlsProxy();
  const appUrl = `https://127.0.0.1:${proxy.port}`;
  const adminUrl = options.adminSite === "other" ? `https://localhost:${proxy.port}` : appUrl;
  let app: RunningApp;
  try {
    app = await startApp({
      APP_URL: appUrl,
      ...(options.adminSite === "other" ? { SANDBOX_ADMIN_URL: adminUrl } : {}),
      ...options.env,
    });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  proxy.forwardTo(app.port);
  return {
    app,
    appUrl,
    adminUrl,
    async close() {
      await app.stop();
      await proxy.close();
    },
  };
}
