// `deno task fixture:engine`: a raw Engine.IO echo server configured as the official Engine.IO
// compliance suite expects (docs/engine.io-protocol/v4-test-suite): path /engine.io/,
// pingInterval 300, pingTimeout 200, maxPayload 1e6, every message echoed back unchanged,
// EIO=3 refused. Listens on 127.0.0.1:$PORT (default 3000; 0 picks a free port) and prints
// "listening on <url>". EIO3=1 admits EIO=3 clients (for the conformance tests of old clients).
import { EngineServer } from "../server/mod.ts";
import { upgradeWebSocket } from "../server/runtime/deno.ts";
import { serveLocal } from "./serve_local.ts";

const engine = new EngineServer({
  upgradeWebSocket,
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  allowEIO3: Deno.env.get("EIO3") === "1",
});
engine.on("connection", (session) => {
  session.on("message", (data) => session.send(data));
});

serveLocal(engine.fetch, () => engine.close());
