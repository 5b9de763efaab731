/**
 * Requests `fetch` will not send, through node:http: a body with any method
 * (GET, TRACE), `Transfer-Encoding: chunked` streamed from a generator, raw
 * bytes in a body, Latin-1 bytes in header values. The answer is read as soon
 * as it arrives, even while the body is still being sent (a 413 or a 405 comes
 * before the body ends), and the client then stops sending, as curl does.
 *
 *   const res = await send(app.url, { method: "POST", path: "/webhooks/shopify", body: chunks(64 * MB) });
 */
import http from "node:http";
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** How many body bytes the client had written when the answer came. */
  sent: number;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A whole body (sent with Content-Length), or chunks (sent chunked). */
  body?: string | Buffer | AsyncIterable<Buffer> | Iterable<Buffer>;
}

export const MB = 1024 * 1024;

/** `total` bytes of "a" in 64 KiB chunks, generated as they are sent (the test holds none of it). */
export function* chunks(total: number, size = 64 * 1024): Generator<Buffer> {
  const chunk = Buffer.alloc(size, 0x61);
  for (let sent = 0; sent < total; sent += size) yield sent + size <= total ? chunk : chunk.subarray(0, total - sent);
}

export function send(base: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  const whole = typeof request.body === "string" || Buffer.isBuffer(request.body) ? Buffer.from(request.body) : null;
  const streamed = request.body !== undefined && whole === null ? (request.body as AsyncIterable<Buffer> | Iterable<Buffer>) : null;
  const headers: Record<string, string> = { Connection: "close", ...request.headers };
  if (whole) headers["Content-Length"] = String(whole.length);
  if (streamed) headers["Transfer-Encoding"] = "chunked";

  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const req = http.request({ host: hostname, port, method: request.method, path: request.path, headers, agent: false });
    req.on("response", (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8"), sent });
        req.destroy();
      });
      res.on("error", reject);
    });
    req.on("error", (error) => {
      // Writing after the server answered and closed is expected; before an answer it is a failure.
      if (!answered) reject(new Error(`${request.method} ${request.path}: no answer (${(error as NodeJS.ErrnoException).code ?? error.message}) after ${sent} body bytes`));
    });
    if (whole) {
      sent = whole.length;
      req.end(whole);
      return;
    }
    if (!streamed) {
      req.end();
      return;
    }
    void (async () => {
      for await (const chunk of streamed) {
        if (answered || req.destroyed) return;
        sent += chunk.length;
        if (!req.write(chunk)) {
          await new Promise<void>((ready) => {
            const done = () => {
              req.off("drain", done);
              req.off("close", done);
              ready();
            };
            req.on("drain", done);
            req.on("close", done);
          });
        }
      }
      if (!answered && !req.destroyed) req.end();
    })().catch(() => {});
  });
}

/**
 * One request written byte for byte on a socket (a NUL in a header value,
 * which node:http refuses to send): the status line of the answer, or
 * "closed" if the server closed without one.
 */
export function sendRawBytes(base: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(bytes));
    let answer = "";
    socket.on("data", (part: Buffer) => (answer += part.toString("latin1")));
    socket.on("close", () => resolve(answer.split("\r\n")[0] || "closed"));
    socket.on("error", () => resolve(answer.split("\r\n")[0] || "closed"));
  });
}

/** Run `tasks` with at most `concurrency` in flight; results in order. */
export async function inPool<T>(tasks: Array<() => Promise<T>>, concurrency = 6): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

/** The process's resident memory in bytes (Linux /proc), or null elsewhere. */
export async function residentBytes(pid: number): Promise<number | null> {
  const fs = await import("node:fs/promises");
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
