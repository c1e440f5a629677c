// The official socket.io-client 4.8.4 against our Socket.IO server inside workerd (a Durable
// Object host behind the routing Worker, run through Miniflare).
import assert from "node:assert/strict";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import { startWorker } from "../conformance/_workerd.ts";
import { connectV2 } from "../legacy/mod.ts";
import { once, TRANSPORTS } from "./_harness.ts";

Deno.test("socket.io in workerd: events, acks, binary and rooms on every transport", async (t) => {
  const server = await startWorker(
    new URL("../../scripts/fixture_socketio_workers.ts", import.meta.url),
    "ChatServer",
  );
  const clients: ClientSocket[] = [];
  const client = (nsp: string, options: Record<string, unknown>) => {
    const socket = connect(`${server.url}${nsp}`, {
      forceNew: true,
      reconnection: false,
      ...options,
    });
    clients.push(socket);
    return socket;
  };
  try {
    for (const [name, transport] of TRANSPORTS) {
      await t.step(name, async () => {
        const socket = client("/", transport);
        await once(socket, "connect");
        const bytes = new Uint8Array([1, 2, 3]);
        const answer = await socket.timeout(5000).emitWithAck("echo", { text: "é", bytes }) as {
          text: string;
          bytes: ArrayBuffer;
        };
        assert.equal(answer.text, "é");
        assert.deepEqual(new Uint8Array(answer.bytes), bytes);
        await socket.timeout(5000).emitWithAck("join", "r1");
        const inRoom = once(socket, "room");
        socket.emit("to-room", "r1", "hello room");
        const [text, offset] = await inRoom;
        assert.equal(text, "hello room");
        assert.equal(
          typeof offset,
          "string",
          "recovery is on: the offset rides as the last argument",
        );
        socket.disconnect();
      });
    }
    await t.step("socket.io-client 2.5.0 (EIO=3) on every transport", async () => {
      for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
        const v2 = connectV2(server.url, { forceNew: true, reconnection: false, transports });
        try {
          await once(v2, "connect");
          const answer = await new Promise((resolve) => v2.emit("echo", { v: 2 }, resolve));
          assert.deepEqual(answer, { v: 2 }, String(transports));
        } finally {
          v2.close();
        }
      }
    });

    await t.step("a middleware refusal reaches the client", async () => {
      const socket = client("/private", {});
      const [error] = await once(socket, "connect_error") as [Error];
      assert.equal(error.message, "not here");
    });
  } finally {
    for (const socket of clients) socket.disconnect();
    await server.stop();
  }
});
