// socket.io's `parser` option: the npm socket.io-msgpack-parser plugs into our server unchanged,
// and the official client with the same parser talks to it.
import assert from "node:assert/strict";
import msgpackParser from "socket.io-msgpack-parser";
import type { Socket } from "../../server/mod.ts";
import { once, TRANSPORTS, withServer } from "./_harness.ts";

for (const [name, transport] of TRANSPORTS) {
  Deno.test(`socket.io with socket.io-msgpack-parser (${name}): events, acks and binary`, async () => {
    await withServer({ parser: msgpackParser }, async ({ io, client }) => {
      const connected = once(io, "connection");
      const socket = client("/", { ...transport, parser: msgpackParser });
      const [serverSocket] = await connected as [Socket];
      if (!socket.connected) await once(socket, "connect");
      serverSocket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      const bytes = new Uint8Array([1, 2, 3]);
      const answer = await socket.timeout(3000).emitWithAck("echo", { n: 1, bytes }) as {
        n: number;
        bytes: Uint8Array;
      };
      assert.equal(answer.n, 1);
      assert.deepEqual(new Uint8Array(answer.bytes), bytes);
      const received = once(socket, "news");
      io.emit("news", "hello");
      assert.deepEqual(await received, ["hello"]);
    });
  });
}
