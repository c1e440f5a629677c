// The benchmark's official Socket.IO server: socket.io 4 attached to node:http, with the same
// options and behaviour as bench/servers/socketio_deno.ts (WebSocket transport only, official
// defaults otherwise; "/" echoes with acks and joins rooms, "/control" triggers `io.emit` and
// `io.to(room).emit` broadcasts). Listens on 127.0.0.1:$PORT (0 picks a free port), prints
// "listening on <url>", exits on SIGTERM/SIGINT. SIGUSR2 runs a full GC when Node was started
// with `--expose-gc`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const httpServer = createServer((_request, response) => {
  response.writeHead(404).end("Not Found");
});
const io = new Server(httpServer, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  socket.on("echo", (data, ack) => ack(data));
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
});
io.of("/control").on("connection", (socket) => {
  socket.on("fanout", ({ count, payload }, ack) => {
    for (let i = 0; i < count; i++) io.emit("news", payload);
    ack();
  });
  socket.on("roomcast", ({ count, rooms = 0, payload }, ack) => {
    for (let i = 0; i < count; i++) {
      for (let room = 0; room < rooms; room++) io.to(`r${room}`).emit("news", payload);
    }
    ack();
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  // deno-lint-ignore no-console -- the one line the benchmark waits for
  console.log(`listening on http://${address}:${port}`);
});

process.on("SIGUSR2", () => globalThis.gc?.());

const stop = () => {
  io.close();
  httpServer.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
