// A small Socket.IO chat for Deno Deploy and `deno serve`: the default export is all they need.
//   deno serve --allow-net --allow-env main.ts
//   DENO_JOBS=4 deno serve --parallel --allow-net --allow-env main.ts   (several isolates)
// With UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN set, rooms and broadcasts span every
// isolate (and every region) through Upstash Redis, and no stickiness is needed: a polling request
// or a WebSocket upgrade that reaches an isolate other than the one holding its session is
// forwarded (relayed) to that one (forwardRequests); without them, each isolate is on its own.
import { type IoServerOptions, Server } from "@edgeio/edgeio";
import { createUpstashAdapter } from "@edgeio/edgeio/adapter/upstash";
import { upgradeWebSocket } from "@edgeio/edgeio/deno";

const url = Deno.env.get("UPSTASH_REDIS_REST_URL");
const token = Deno.env.get("UPSTASH_REDIS_REST_TOKEN");
const options: IoServerOptions = { upgradeWebSocket };
if (url && token) {
  options.adapter = createUpstashAdapter({ url, token });
  options.forwardRequests = true;
}

const io = new Server(options);
// What the adapter could not deliver (the store away for too long, say).
// deno-lint-ignore no-console -- an app's own choice of logging
io.of("/").adapter.on("error", (error: unknown) => console.error(error));

// Which isolate serves a client: Deno Deploy runs many, and a WebSocket stays on the one that
// accepted it. Told to each client on connection, to show that rooms span them all.
const isolate = crypto.randomUUID().slice(0, 8);

io.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id, isolate });
  // "join" (room, ack): enter a room; the ack answers with the room's name.
  socket.on("join", (room: unknown, ack?: (room: string) => void) => {
    if (typeof room !== "string" || room.length > 64) return;
    socket.join(room);
    ack?.(room);
  });
  // "message" (room, text, ack): everyone else in the room, on any isolate, gets it.
  socket.on("message", (room: unknown, text: unknown, ack?: (answer: { ok: boolean }) => void) => {
    if (typeof room !== "string" || typeof text !== "string" || !socket.rooms.has(room)) {
      return ack?.({ ok: false });
    }
    socket.to(room).emit("message", { room, from: socket.id, text });
    ack?.({ ok: true });
  });
});

// An open adapter subscription keeps the event loop busy, so `deno serve` would not end on
// SIGTERM by itself: close the server (clients hear "server shutting down"), then leave.
// Deno Deploy sends no signals; there an isolate simply stops.
async function shutdown() {
  await io.close();
  Deno.exit(0);
}
try {
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
} catch {
  // Where signals cannot be listened to, the platform ends the isolate itself.
}

export default { fetch: io.fetch };
