// Our Socket.IO client inside workerd (Miniflare): a Worker's fetch handler connects OUT to our
// Server on Deno.serve in this process (outbound fetch for polling, the global WebSocket
// constructor for websocket), and answers with what it saw. Miniflare's outbound network allows
// private addresses, so 127.0.0.1 is reachable from the Worker.
import assert from "node:assert/strict";
import { Server, type Socket } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { startPlainWorker } from "../conformance/_workerd.ts";

const CASES: Array<{ transports: string; final: string }> = [
  { transports: "polling", final: "polling" },
  { transports: "websocket", final: "websocket" },
  { transports: "polling,websocket", final: "websocket" },
];

Deno.test("client in workerd: connect, server event, ack and binary on every transport", async (t) => {
  const io = new Server({ upgradeWebSocket });
  const received: unknown[] = [];
  io.on("connection", (socket: Socket) => {
    socket.emit("hello", "from deno", new Uint8Array([4, 5, 6]));
    socket.on("echo", (data: { text: string; bytes: Uint8Array }, ack: (v: unknown) => void) => {
      received.push({ text: data.text, bytes: [...data.bytes] });
      ack({ text: `${data.text}!`, bytes: new Uint8Array([...data.bytes].reverse()) });
    });
  });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, io.fetch);
  const target = `http://127.0.0.1:${http.addr.port}`;
  try {
    const worker = await startPlainWorker(new URL("./_client_worker.ts", import.meta.url));
    try {
      for (const { transports, final } of CASES) {
        await t.step(transports, async () => {
          received.length = 0;
          const response = await fetch(
            `${worker.url}/?url=${encodeURIComponent(target)}&transports=${transports}`,
            { signal: AbortSignal.timeout(15000) },
          );
          const body = await response.json();
          assert.equal(response.status, 200, JSON.stringify(body));
          assert.deepEqual(body, {
            id: true,
            hello: ["from deno", [4, 5, 6]],
            answer: { text: "é from workerd!", bytes: [3, 2, 1] },
            transport: final,
          });
          assert.deepEqual(received, [{ text: "é from workerd", bytes: [1, 2, 3] }]);
        });
      }
    } finally {
      await worker.stop();
    }
  } finally {
    await io.close();
    await http.shutdown();
  }
});
