// A Socket.IO server of ours on a real Deno.serve (127.0.0.1, free port) and official
// socket.io-client 4.8.4 clients against it, every wait bounded, everything stopped at the end.
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { type IoServerOptions, Server } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { once } from "../_wait.ts";
export { once };

export type { ClientSocket };

export interface Harness {
  io: Server;
  url: string;
  client(nsp?: string, options?: Record<string, unknown>): ClientSocket;
}

export async function withServer(
  options: IoServerOptions,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const io = new Server({ upgradeWebSocket, ...options });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, io.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const clients: ClientSocket[] = [];
  try {
    await fn({
      io,
      url,
      client(nsp = "/", clientOptions = {}) {
        const socket = connectClient(`${url}${nsp}`, {
          forceNew: true,
          reconnection: false,
          ...clientOptions,
        });
        clients.push(socket);
        return socket;
      },
    });
  } finally {
    for (const socket of clients) socket.disconnect();
    await io.close();
    await server.shutdown();
  }
}

export const TRANSPORTS: Array<[string, Record<string, unknown>]> = [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
  ["upgrade", { transports: ["polling", "websocket"] }],
];
