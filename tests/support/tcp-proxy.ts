/**
 * A TCP proxy between the app and PostgreSQL that the test controls, to cut
 * the database away mid-load and bring it back:
 *   - "refuse": every open connection is reset and new ones are refused
 *     (a crashed or restarted server);
 *   - "blackhole": connections are accepted but nothing comes back
 *     (a network partition: the worst case, nothing fails fast);
 *   - "forward": normal service.
 */
import net from "node:net";

export type ProxyMode = "forward" | "refuse" | "blackhole";

export interface TcpProxy {
  port: number;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = "forward";
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (mode === "refuse") return void client.resetAndDestroy();
    if (mode === "blackhole") return; // hold it open, say nothing
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    setMode(next) {
      mode = next;
      if (next !== "forward") {
        for (const socket of sockets) {
          if (next === "refuse") socket.resetAndDestroy();
          else socket.pause(); // blackhole: stop reading and writing
        }
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
