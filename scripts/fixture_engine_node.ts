// The Engine.IO echo fixture of scripts/fixture_engine.ts on Node.js: node:http through
// server/runtime/node.ts, with the same settings (path /engine.io/, pingInterval 300,
// pingTimeout 200, maxPayload 1e6, every message echoed back unchanged, EIO=3 refused unless
// EIO3=1). Listens on 127.0.0.1:$PORT (default 3000; 0 picks a free port) and prints
// "listening on <url>". Node cannot run TypeScript with imports like these: bundle it first
// (tests/_bundle.ts), then `node <bundle>.mjs`.
import { createServer } from "node:http";
import process from "node:process";
import { EngineServer } from "../server/mod.ts";
import { attach, upgradeWebSocket } from "../server/runtime/node.ts";

const engine = new EngineServer({
  upgradeWebSocket,
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  allowEIO3: process.env.EIO3 === "1",
});
engine.on("connection", (session) => {
  session.on("message", (data) => session.send(data));
});

const server = createServer();
attach(server, engine.fetch);
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  // deno-lint-ignore no-console -- the one line a test harness waits for
  console.log(`listening on http://127.0.0.1:${port}`);
});

// Upgraded sockets are no longer the HTTP server's: closing the server alone would wait for
// every WebSocket to finish its closing handshake. Close what is open, then leave.
const stop = () => {
  engine.close();
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
