// The benchmark's official server: engine.io 6 attached to node:http, with the same options
// as bench/servers/edgeio_deno.ts (official defaults for pingInterval/pingTimeout,
// maxHttpBufferSize 1e6), echoing every message. Listens on 127.0.0.1:$PORT (0 picks a free
// port), prints "listening on <url>", exits on SIGTERM/SIGINT. SIGUSR2 runs a full GC when
// Node was started with `--expose-gc`.
import { createServer } from "node:http";
import { attach } from "engine.io";

const httpServer = createServer((_request, response) => {
  response.writeHead(404).end("Not Found");
});
const engine = attach(httpServer, { maxHttpBufferSize: 1e6 });
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});

httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  // deno-lint-ignore no-console -- the one line the benchmark waits for
  console.log(`listening on http://${address}:${port}`);
});

process.on("SIGUSR2", () => globalThis.gc?.());

const stop = () => {
  engine.close();
  httpServer.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
