/**
 * Requests from distinct client addresses, for tests that need several
 * "computers" (an attacker's and the victim's): every 127.x.y.z address is
 * loopback on Linux, so a request can leave from 127.0.0.7 and the app sees
 * that as its peer, with no proxy header to trust or spoof.
 */
import http from "node:http";
import type { RunningApp } from "./app-server";

export interface AddressedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to the running app from `address` (127.x.y.z). */
export function requestFrom(
  app: RunningApp,
  address: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<AddressedResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: app.port, path, method: init.method ?? "GET", headers: init.headers, localAddress: address },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

let next = 0;
/** A loopback address no other request of this test file has used (127.0.<n>.<m>). */
export function freshAddress(): string {
  next += 1;
  return `127.0.${Math.floor(next / 250) + 10}.${(next % 250) + 2}`;
}
