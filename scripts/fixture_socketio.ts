// `deno task fixture:socketio`: a Socket.IO server configured as the official Socket.IO v5
// compliance suite expects (docs/socket.io-protocol/v5-test-suite): path /socket.io/,
// pingInterval 300, pingTimeout 200, connectTimeout 1000, EIO=3 refused. On "/" every socket is
// sent its handshake auth as an `auth` event, `message` is answered with `message-back` and the
// same arguments, and the ack of `message-with-ack` is called with the same arguments; on
// "/custom" every socket is sent its auth too. Listens on 127.0.0.1:$PORT (default 3000; 0 picks
// a free port) and prints "listening on <url>"; stops on SIGTERM or SIGINT.
import { Server, type Socket } from "../server/mod.ts";
import { upgradeWebSocket } from "../server/runtime/deno.ts";
import { serveLocal } from "./serve_local.ts";

const io = new Server({
  upgradeWebSocket,
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  maxHttpBufferSize: 1e6,
  allowEIO3: false,
});

io.on("connection", (socket: Socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args: unknown[]) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args: unknown[]) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
});

io.of("/custom", (socket: Socket) => {
  socket.emit("auth", socket.handshake.auth);
});

serveLocal(io.fetch, () => io.close());
