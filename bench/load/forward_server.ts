// The `deno serve` module of bench/forward_load.ts: scripts/fixture_upstash.ts (Upstash adapter;
// with FORWARD=1, forwardRequests and an `x-edgeio-node` header) plus an "echo" event and counts
// of the HTTP requests each isolate took. A request whose sid names another isolate (with
// forwardRequests a sid is `<owner uid>.<id>`) is one this isolate forwards to the owner.
//
// What a client may ask, besides the fixture's questions: "echo" (data) → data;
// "requests" → { uid, requests, forwarded } of the isolate that owns the client's session;
// "upgrade-relayed" → whether the client's WebSocket reached its owner through another isolate (a
// relayed upgrade) rather than directly.
import type { ForwardedRequest, ForwardedResponse, RelayLink } from "../../adapter/mod.ts";
import fixture, { io } from "../../scripts/fixture_upstash.ts";

const adapter = io.of("/").adapter as {
  uid?: string;
  onRelayRequest?: (request: ForwardedRequest, link: RelayLink) => Promise<ForwardedResponse>;
};
const uid = adapter.uid ?? "";
let requests = 0;
let forwarded = 0;
// The sessions whose upgrade another isolate relayed here (forgotten when they close).
const relayed = new Set<string>();
const answer = adapter.onRelayRequest;
if (answer) {
  adapter.onRelayRequest = async (request, link) => {
    const response = await answer(request, link);
    const sid = new URL(request.url).searchParams.get("sid");
    if (response.status === 101 && sid) relayed.add(sid);
    return response;
  };
}
io.engine.on("connection", (session) => session.once("close", () => relayed.delete(session.id)));

io.on("connection", (socket) => {
  socket.on("echo", (data: unknown, ack: (data: unknown) => void) => ack(data));
  socket.on(
    "requests",
    (ack: (counts: unknown) => void) => ack({ uid, requests, forwarded }),
  );
  socket.on(
    "upgrade-relayed",
    (ack: (relayed: boolean) => void) => ack(relayed.has(socket.conn.id)),
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
