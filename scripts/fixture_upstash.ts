// A Socket.IO server whose namespace "/" spans processes and isolates through the Upstash
// adapter, for tests/adapter/upstash_processes_test.ts. `export default { fetch }` is what
// `deno serve` (with `--parallel`, one server per isolate) takes; fixture_upstash_server.ts
// serves it with `deno run`. Environment: UPSTASH_URL, UPSTASH_TOKEN; timings are short so a
// test sees heartbeats and dead servers within a second. Recovery is on.
//
// What a client may ask (each answered through its ack): "whoami" → { uid, recovered, rooms };
// "count" → this server's serverCount(); "broadcast" (event, ...args) → io.emit on all servers;
// "to" (room, event, ...args) → io.to(room).emit; "report-count" → every client of every server
// gets "count" with this server's serverCount(); "forwarded" → how many requests other isolates
// forwarded to this one; "relayed" → how many WebSocket upgrades other isolates relayed to this
// one (accepted). A client whose auth has `room` joins it.
// With FORWARD=1, polling requests for another isolate's session are forwarded to it
// (forwardRequests), and every response says which isolate answered the HTTP request in an
// `x-edgeio-node` header (the adapter's uid), so a test can tell forwarded requests from local ones.
import { createUpstashAdapter } from "../adapter/upstash.ts";
import { Server, type Socket } from "../server/mod.ts";
import { upgradeWebSocket } from "../server/runtime/deno.ts";

const url = Deno.env.get("UPSTASH_URL");
const token = Deno.env.get("UPSTASH_TOKEN");
if (!url || !token) throw new TypeError("UPSTASH_URL and UPSTASH_TOKEN must be set");
const forwardRequests = Deno.env.get("FORWARD") === "1";

/** The server of this process (or isolate). */
export const io: Server = new Server({
  upgradeWebSocket,
  pingInterval: 1000,
  pingTimeout: 1000,
  connectionStateRecovery: { maxDisconnectionDuration: 10_000 },
  forwardRequests,
  adapter: createUpstashAdapter({
    url,
    token,
    heartbeatInterval: 200,
    heartbeatTimeout: 700,
    requestsTimeout: 2000,
    retryDelay: 20,
    retryDelayMax: 200,
    lazy: false,
  }),
});

type Ack = (answer: unknown) => void;
const adapter = io.of("/").adapter;
const uid = (adapter as { uid?: string }).uid;

// How many requests other isolates forwarded here (FORWARD=1), for the "forwarded" question,
// and how many upgrades they relayed here, for "relayed".
let forwardedHere = 0;
let relayedHere = 0;
const hooked = adapter as {
  onForwardedRequest?: ((request: unknown) => Promise<unknown>) | undefined;
  onRelayRequest?: ((request: unknown, link: unknown) => Promise<{ status: number }>) | undefined;
};
const answer = hooked.onForwardedRequest;
if (answer) {
  hooked.onForwardedRequest = (request) => (forwardedHere++, answer(request));
}
const relay = hooked.onRelayRequest;
if (relay) {
  hooked.onRelayRequest = async (request, link) => {
    const response = await relay(request, link);
    if (response.status === 101) relayedHere++;
    return response;
  };
}

io.on("connection", (socket: Socket) => {
  const room = socket.handshake.auth.room;
  if (!socket.recovered && typeof room === "string") socket.join(room);
  socket.on(
    "whoami",
    (ack: Ack) => ack({ uid, recovered: socket.recovered, rooms: [...socket.rooms].sort() }),
  );
  socket.on("forwarded", (ack: Ack) => ack(forwardedHere));
  socket.on("relayed", (ack: Ack) => ack(relayedHere));
  socket.on("count", async (ack: Ack) => ack(await adapter.serverCount()));
  socket.on("broadcast", (event: string, ...args: unknown[]) => io.emit(event, ...args));
  socket.on("to", (room: string, event: string, ...args: unknown[]) => {
    io.to(room).emit(event, ...args);
  });
  socket.on("report-count", async () => io.emit("count", await adapter.serverCount()));
});

// Not `satisfies Deno.ServeDefaultExport`: io.fetch's `info` parameter (ConnectionInfo) does not
// accept Deno's ServeHandlerInfo<Addr>, whose remoteAddr may be a UnixAddr.
export default {
  fetch: forwardRequests
    ? async (request: Request) => {
      const response = await io.fetch(request);
      if (response.status !== 101) response.headers.set("x-edgeio-node", uid ?? "");
      return response;
    }
    : io.fetch,
};
