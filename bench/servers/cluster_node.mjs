// One node of bench/cluster_load.ts's official cluster: socket.io 4 attached to node:http with
// @socket.io/redis-adapter 8 (`createAdapter(pub, sub)` over ioredis, its defaults) on a
// redis-server over TCP. Same behaviour as bench/servers/cluster_deno.ts ("/control": `fire`,
// `burst`, `stats`; see there).
//
//   node bench/servers/cluster_node.mjs <redis-port>
//
// Listens on 127.0.0.1:$PORT (0 picks a free port), prints "listening on <url>", exits on
// SIGTERM/SIGINT.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";

const redisPort = Number(process.argv[2]);
if (!(redisPort > 0)) throw new TypeError("usage: cluster_node.mjs <redis-port>");

const pub = new Redis({ host: "127.0.0.1", port: redisPort });
const sub = pub.duplicate();
const errors = { count: 0, lost: 0, first: [] };
const onError = (error) => {
  errors.count++;
  if (errors.first.length < 5) errors.first.push(error.message);
};
pub.on("error", onError);
sub.on("error", onError);

const httpServer = createServer((_request, response) => {
  response.writeHead(404).end("Not Found");
});
const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
io.of("/").adapter.on("error", onError);

const now = () => performance.timeOrigin + performance.now();

io.of("/control").on("connection", (socket) => {
  socket.on("fire", (stamp, seq) => io.emit("tick", stamp, seq));
  socket.on("burst", (count, first, ack) => {
    for (let seq = first; seq < first + count; seq++) io.emit("tick", now(), seq);
    ack();
  });
  // The adapter keeps no queue of its own: what waits is in ioredis, sent and not yet answered
  // (commandQueue) or not yet sent (offlineQueue, while disconnected).
  socket.on("stats", (ack) => {
    ack({ ...errors, pending: pub.commandQueue.length + pub.offlineQueue.length });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  // deno-lint-ignore no-console -- the one line the benchmark waits for
  console.log(`listening on http://${address}:${port}`);
});

const stop = () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
