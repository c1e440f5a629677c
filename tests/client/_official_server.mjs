// The official socket.io 4.8.4 server on node:http with the handlers our client tests talk to;
// tests/client/_servers.ts installs the same handlers on our Server. Listens on 127.0.0.1:$PORT
// (0 picks a free port), prints "listening on <url>", exits on SIGTERM/SIGINT. Environment:
// IO_PATH (default /socket.io), PING_INTERVAL and PING_TIMEOUT (ms), PARSER=msgpack.
import { createServer } from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

const env = process.env;
// Requests outside the Socket.IO path get a 404 instead of hanging, and upgrades there are
// dropped after 100 ms (engine.io's destroyUpgradeTimeout) so a client with a wrong path fails fast.
const httpServer = createServer((_request, response) => {
  response.writeHead(404).end("Not Found");
});
const io = new Server(httpServer, {
  serveClient: false,
  destroyUpgradeTimeout: 100,
  connectionStateRecovery: { maxDisconnectionDuration: 30000 },
  ...(env.IO_PATH ? { path: env.IO_PATH } : {}),
  ...(env.PING_INTERVAL ? { pingInterval: Number(env.PING_INTERVAL) } : {}),
  ...(env.PING_TIMEOUT ? { pingTimeout: Number(env.PING_TIMEOUT) } : {}),
  ...(env.PARSER === "msgpack" ? { parser: msgpackParser } : {}),
});

io.use((socket, next) => {
  if (socket.handshake.auth.token !== "bad") return next();
  const error = new Error("not authorized");
  error.data = { code: 4001, hint: "use another token" };
  next(error);
});

for (const name of ["/", "/admin"]) {
  const nsp = io.of(name);
  nsp.on("connection", (socket) => {
    const records = [];
    const tries = new Map();
    socket.on("whoami", (ack) =>
      ack({
        id: socket.id,
        nsp: socket.nsp.name,
        engineId: socket.conn.id,
        transport: socket.conn.transport.name,
        auth: socket.handshake.auth,
        query: { ...socket.handshake.query },
        header: socket.handshake.headers["x-edgeio-test"] ?? null,
        recovered: socket.recovered,
      }));
    socket.on("echo", (...args) => args.pop()(...args));
    socket.on("emit-back", (event, ...args) => socket.emit(event, ...args));
    socket.on("ask", (event, args, ack) =>
      socket.timeout(3000).emit(
        event,
        ...args,
        (error, ...answer) => ack(error ? { error: error.message } : { answer }),
      ));
    socket.on("no-ack", () => {});
    socket.on("flaky", (key, ack) => {
      const seen = (tries.get(key) ?? 0) + 1;
      tries.set(key, seen);
      if (seen > 1) ack(seen);
    });
    socket.on("record", (...args) => records.push(args));
    socket.on("records", (ack) => ack(records));
    socket.on("join", (room, ack) => {
      socket.join(room);
      ack([...socket.rooms]);
    });
    socket.on("to-room", (room, event, ...args) => {
      nsp.to(room).emit(event, ...args);
      nsp.emit("after-room", room);
    });
    socket.on("disconnect-me", () => socket.disconnect());
    socket.on("miss-on-drop", (ack) => {
      socket.data.missOnDrop = true;
      ack();
    });
    socket.on("cut", () => socket.conn.close());
    socket.on("disconnect", (reason) => {
      nsp.to("watchers").emit("gone", socket.id, reason);
      if (socket.data.missOnDrop && reason !== "client namespace disconnect") {
        for (const n of [1, 2, 3]) nsp.to(socket.id).emit("missed", n);
      }
    });
  });
}

httpServer.listen(Number(env.PORT ?? 0), "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  // deno-lint-ignore no-console -- the one line the test harness waits for
  console.log(`listening on http://${address}:${port}`);
});

// A clean shutdown: sessions are closed (WebSocket close frames sent) before the process exits;
// keep-alive connections are dropped as soon as they fall idle, so the exit comes quickly.
const stop = () => {
  setTimeout(() => process.exit(0), 2000).unref();
  setInterval(() => httpServer.closeIdleConnections(), 20).unref();
  io.close(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
