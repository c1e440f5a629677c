// `npm start` / `deno task demo`: the chat demo on Deno. Serves public/ and a Socket.IO server
// with the in-memory adapter and connection state recovery. Listens on $HOST:$PORT (default
// 127.0.0.1:3000; PORT=0 picks a free port), prints "listening on <url>", stops on SIGTERM/SIGINT.

import { Server } from "../../mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { loadAssets, serveAsset } from "./assets.ts";
import { attachChat, type ChatServer } from "./chat.ts";
import { LIMITS } from "./validate.ts";

const io: ChatServer = new Server({
  upgradeWebSocket,
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
  // Room for the largest image the chat accepts, base64-encoded when sent over polling.
  maxHttpBufferSize: Math.ceil(LIMITS.imageBytes * 1.4) + 64 * 1024,
});
const chat = attachChat(io);
const assets = await loadAssets(new URL("./public/", import.meta.url));
const handler = io.handler((request) => serveAsset(request, assets));

const server = Deno.serve({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 3000),
  onListen: ({ hostname, port }) => {
    // deno-lint-ignore no-console -- the line people (and the browser test) wait for
    console.log(
      `listening on http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    );
  },
}, handler);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await io.close();
  chat.close();
  await server.shutdown();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
