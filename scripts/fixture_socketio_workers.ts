// A Socket.IO server in a Durable Object (binding ENGINE, class ChatServer) behind the routing
// Worker, sessions spread over two shards: bundled with esbuild and run in workerd by
// tests/runtime/miniflare_server.mjs. Echoes `echo` with an ack, relays `chat` to every socket
// of the same object, and refuses `/private` in a middleware.
import type { IoServerOptions, Server } from "../server/mod.ts";
import { routeToDurableObject, SocketIODurableObject } from "../server/runtime/workers.ts";

export class ChatServer extends SocketIODurableObject {
  protected override serverOptions(): IoServerOptions {
    return { pingInterval: 300, pingTimeout: 200, connectionStateRecovery: true, allowEIO3: true };
  }

  protected override setup(io: Server): void {
    io.on("connection", (socket) => {
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      socket.on("chat", (text: unknown) => io.emit("chat", text));
      socket.on("join", (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
      socket.on("to-room", (room: string, text: unknown) => io.to(room).emit("room", text));
    });
    io.of("/private").use((_socket, next) => next(new Error("not here")));
  }
}

export default { fetch: routeToDurableObject("ENGINE", { shards: 2 }) };
