// The benchmark's edgeio Socket.IO server: `Server` on Deno.serve, WebSocket transport only,
// official defaults otherwise (pingInterval 25000, pingTimeout 20000, so heartbeats stay out of
// a short run). Same behaviour as bench/servers/socketio_node.mjs:
//   - "/": `echo` answers its ack with the data, `join` joins a room then acks;
//   - "/control" (the benchmark's control client, apart so broadcasts to "/" miss it):
//     `fanout` {count, payload} runs `io.emit("news", payload)` count times, `roomcast`
//     {count, rooms, payload} runs `io.to("r<i>").emit("news", payload)` for each room count
//     times; each acks once done.
// Listens on 127.0.0.1:$PORT (0 picks a free port), prints "listening on <url>", exits on
// SIGTERM/SIGINT. SIGUSR2 runs a full GC when Deno was started with `--v8-flags=--expose-gc`.
import { Server } from "../../server/io_server.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { serveLocal } from "../../scripts/serve_local.ts";

interface Broadcasts {
  count: number;
  rooms?: number;
  payload: string;
}

const io = new Server({ upgradeWebSocket, transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  socket.on("echo", (data: unknown, ack: (data: unknown) => void) => ack(data));
  socket.on("join", (room: string, ack: () => void) => {
    socket.join(room);
    ack();
  });
});
io.of("/control").on("connection", (socket) => {
  socket.on("fanout", ({ count, payload }: Broadcasts, ack: () => void) => {
    for (let i = 0; i < count; i++) io.emit("news", payload);
    ack();
  });
  socket.on("roomcast", ({ count, rooms = 0, payload }: Broadcasts, ack: () => void) => {
    for (let i = 0; i < count; i++) {
      for (let room = 0; room < rooms; room++) io.to(`r${room}`).emit("news", payload);
    }
    ack();
  });
});

serveLocal(io.fetch, () => io.close(), 0);
