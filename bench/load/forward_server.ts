// The `deno serve` module of bench/forward_load.ts: scripts/fixture_upstash.ts (Upstash adapter;
// with FORWARD=1, forwardRequests and an `x-edgeio-node` header) plus an "echo" event and counts
// of the HTTP requests each isolate took. A request whose sid names another isolate (with
// forwardRequests a sid is `<owner uid>.<id>`) is one this isolate forwards to the owner.
//
// What a client may ask, besides the fixture's questions: "echo" (data) → data;
// "requests" → { uid, requests, forwarded } of the isolate that owns the client's session.
import fixture, { io } from "../../scripts/fixture_upstash.ts";

const uid = (io.of("/").adapter as { uid?: string }).uid ?? "";
let requests = 0;
let forwarded = 0;

io.on("connection", (socket) => {
  socket.on("echo", (data: unknown, ack: (data: unknown) => void) => ack(data));
  socket.on(
    "requests",
    (ack: (counts: unknown) => void) => ack({ uid, requests, forwarded }),
  );
});

export default {
  fetch(request: Request): Promise<Response> {
    requests++;
    const url = request.url;
    const at = url.indexOf("sid=");
    if (at !== -1) {
      const end = url.indexOf("&", at);
      const sid = url.slice(at + 4, end === -1 ? undefined : end);
      const dot = sid.indexOf(".");
      if (dot !== -1 && sid.slice(0, dot) !== uid) forwarded++;
    }
    return Promise.resolve(fixture.fetch(request));
  },
};
