// The benchmark's edgeio server: an Engine.IO echo server on Deno.serve, with the official
// defaults (pingInterval 25000, pingTimeout 20000, so heartbeats stay out of a short run) and
// maxHttpBufferSize 1e6. Listens on 127.0.0.1:$PORT (0 picks a free port), prints
// "listening on <url>", exits on SIGTERM/SIGINT. SIGUSR2 runs a full GC when Deno was started
// with `--v8-flags=--expose-gc`, so a memory reading can leave garbage out.
import { EngineServer } from "../../server/engine/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { serveLocal } from "../../scripts/serve_local.ts";

const engine = new EngineServer({ upgradeWebSocket, maxHttpBufferSize: 1e6 });
engine.on("connection", (session) => {
  session.on("message", (data) => session.send(data));
});

serveLocal(engine.fetch, () => engine.close(), 0);
