// A small Socket.IO chat on Deno: `deno run --allow-net --allow-env=HOST,PORT server.ts`.
// Serves a page at / that loads the client from /socket.io/socket.io.min.js. Listens on
// $HOST:$PORT (default 127.0.0.1:3000; PORT=0 picks a free port) and stops on SIGTERM/SIGINT.
import { Server } from "@edgeio/edgeio";
import { upgradeWebSocket } from "@edgeio/edgeio/deno";

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

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>edgeio chat</title>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off"><button>Send</button></form>
<script src="/socket.io/socket.io.min.js"></script>
<script>
  const socket = io();
  const log = (line) => document.getElementById("log").append(Object.assign(document.createElement("li"), { textContent: line }));
  socket.emit("join", "lobby", (room) => log("joined " + room));
  socket.on("message", ({ from, text }) => log(from + ": " + text));
  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    socket.emit("message", "lobby", input.value, () => log("me: " + input.value));
    input.value = "";
  };
</script>
`;

// Socket.IO answers under /socket.io/; every other request gets the page (or a 404).
const handler = io.handler((request) =>
  new URL(request.url).pathname === "/"
    ? new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } })
    : new Response("Not found", { status: 404 })
);

const server = Deno.serve({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 3000),
  onListen: ({ hostname, port }) => {
    // deno-lint-ignore no-console -- tells the user (and the test) where to go
    console.log(`listening on http://${hostname}:${port}`);
  },
}, handler);

// Graceful shutdown: clients hear "server shutting down", then the listener closes.
async function shutdown() {
  await io.close();
  await server.shutdown();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", shutdown);
Deno.addSignalListener("SIGINT", shutdown);
