// One node of bench/cluster_load.ts's edgeio cluster: `Server` on Deno.serve with the Upstash
// adapter at its defaults, talking to the store through the Upstash REST API (in the benchmark,
// the test fixture's REST endpoint in front of a real redis-server). Same behaviour as
// bench/servers/cluster_node.mjs:
//   - "/": the clients; nothing to answer, they only receive `tick`;
//   - "/control" (the benchmark's control client, apart so broadcasts to "/" miss it):
//     `fire` (stamp, seq) runs `io.emit("tick", stamp, seq)` once, the stamp being the
//     benchmark's own clock; `burst` (count, first, ack) runs `io.emit("tick", now, seq)` for
//     `count` consecutive seqs from `first`, `now` being this process's wall clock in
//     fractional milliseconds, then acks; `stats` (ack) acks with the adapter errors seen so far,
//     how many messages they said were lost, and the messages waiting to be published.
//
//   deno run --allow-net=127.0.0.1 --allow-env bench/servers/cluster_deno.ts <rest-url> <token>
//
// Listens on 127.0.0.1:$PORT (0 picks a free port), prints "listening on <url>", exits on
// SIGTERM/SIGINT.
import { createUpstashAdapter, type UpstashAdapter } from "../../adapter/upstash.ts";
import { Server } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { serveLocal } from "../../scripts/serve_local.ts";

const [url, token] = Deno.args;
if (!url || !token) throw new TypeError("usage: cluster_deno.ts <rest-url> <token>");

const io = new Server({ upgradeWebSocket, adapter: createUpstashAdapter({ url, token }) });

const errors = { count: 0, lost: 0, first: [] as string[] };
io.of("/").adapter.on("error", (error: Error & { lost?: number }) => {
  errors.count++;
  errors.lost += error.lost ?? 0;
  if (errors.first.length < 5) errors.first.push(error.message);
});

const now = () => performance.timeOrigin + performance.now();

io.of("/control").on("connection", (socket) => {
  socket.on("fire", (stamp: number, seq: number) => io.emit("tick", stamp, seq));
  socket.on("burst", (count: number, first: number, ack: () => void) => {
    for (let seq = first; seq < first + count; seq++) io.emit("tick", now(), seq);
    ack();
  });
  socket.on("stats", (ack: (stats: unknown) => void) => {
    ack({ ...errors, pending: (io.of("/").adapter as UpstashAdapter).pending });
  });
});

serveLocal(io.fetch, () => io.close(), 0);
