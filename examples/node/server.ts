// A small Socket.IO chat on Node.js (node:http, with `ws` for WebSockets). Node runs it once it
// is bundled (see README.md). Listens on $HOST:$PORT (default 127.0.0.1:3000; PORT=0 picks a
// free port) and stops on SIGTERM/SIGINT.
import { createServer } from "node:http";
import process from "node:process";
import { Server } from "@edgeio/edgeio";
import { attach, upgradeWebSocket } from "@edgeio/edgeio/node";

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

// attach() serves io.fetch on both the server's `request` and `upgrade` events.
const server = createServer();
attach(server, io.fetch);
const host = process.env.HOST ?? "127.0.0.1";
server.listen(Number(process.env.PORT ?? 3000), host, () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  // deno-lint-ignore no-console -- tells the user (and the test) where to go
  console.log(`listening on http://${host}:${port}`);
});

// Graceful shutdown: clients hear "server shutting down". Upgraded sockets no longer belong to
// the HTTP server, so close() alone would wait on them: close what is left, then leave.
async function shutdown() {
  await io.close();
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
