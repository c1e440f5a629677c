// A small Socket.IO chat on Bun: `bun run server.ts`. Listens on $HOST:$PORT (default
// 127.0.0.1:3000; PORT=0 picks a free port) and stops on SIGTERM/SIGINT.
import { Server } from "@edgeio/edgeio";
import { bunHandler, type BunServeOptions, upgradeWebSocket } from "@edgeio/edgeio/bun";

// The few members of Bun's globals used here, so the file type-checks without Bun's types
// (with `bun add -d @types/bun`, use `Bun` and `process` directly).
interface BunGlobals {
  Bun: {
    env: Record<string, string | undefined>;
    serve(options: BunServeOptions & { hostname: string; port: number }): {
      hostname: string;
      port: number;
      stop(closeActiveConnections?: boolean): Promise<void>;
    };
  };
  process: {
    on(signal: "SIGTERM" | "SIGINT", listener: () => void): void;
    exit(code: number): never;
  };
}
const { Bun, process } = globalThis as unknown as BunGlobals;

const io = new Server({ upgradeWebSocket });

io.on("connection", (socket) => {
  // "join" (room, ack): enter a room; the ack answers with the room's name.
  socket.on("join", (room: unknown, ack?: (room: string) => void) => {
    if (typeof room !== "string" || room.length > 64) return;
    socket.join(room);
    ack?.(room);
  });
  // "message" (room, text, ack): everyone else in the room gets it; the ack confirms.
  socket.on("message", (room: unknown, text: unknown, ack?: (answer: { ok: boolean }) => void) => {
    if (typeof room !== "string" || typeof text !== "string" || !socket.rooms.has(room)) {
      return ack?.({ ok: false });
    }
    socket.to(room).emit("message", { room, from: socket.id, text });
    ack?.({ ok: true });
  });
});

// bunHandler() gives Bun.serve the fetch and websocket handlers, and idle timeouts that fit the
// heartbeat and message size limit (read from the server's engine options).
const server = Bun.serve({
  hostname: Bun.env.HOST ?? "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  ...bunHandler(io),
});
// deno-lint-ignore no-console -- tells the user (and the test) where to go
console.log(`listening on http://${server.hostname}:${server.port}`);

// Graceful shutdown: clients hear "server shutting down". Bun's stop() may never resolve once
// the server closed WebSockets itself (oven-sh/bun#36223), so the wait is bounded.
async function shutdown() {
  await io.close();
  await Promise.race([server.stop(), new Promise((resolve) => setTimeout(resolve, 1000))]);
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
