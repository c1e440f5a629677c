// A custom parser: our client with socket.io-msgpack-parser against servers using the same one.
import assert from "node:assert/strict";
import msgpackParser from "socket.io-msgpack-parser";
import { bytes, Clients, KINDS, once, strip, TRANSPORTS, view, whoami } from "./_servers.ts";

for (const kind of KINDS) {
  Deno.test(`client with socket.io-msgpack-parser against ${kind.name} server`, async (t) => {
    const server = await kind.start({ parser: "msgpack" });
    try {
      for (const transports of TRANSPORTS) {
        await t.step(`events, acks, binary, refusal (${transports.join("+")})`, async () => {
          const clients = new Clients({ transports, parser: msgpackParser });
          try {
            const socket = await clients.connect(server.url);
            const me = await whoami(socket);
            assert.equal(me.id, socket.id);
            assert.equal(me.transport, transports[transports.length - 1]);
            const echoed = await socket.timeout(3000).emitWithAck("echo", {
              n: 1.5,
              text: "héllo",
              list: [true, null],
              bytes: bytes(1, 2, 3),
            }) as { n: number; text: string; list: unknown[]; bytes: unknown };
            assert.equal(echoed.n, 1.5);
            assert.equal(echoed.text, "héllo");
            assert.deepEqual(echoed.list, [true, null]);
            assert.deepEqual(view(echoed.bytes), [1, 2, 3]);
            const news = once(socket, "news");
            socket.emit("emit-back", "news", "x", { b: bytes(9) });
            const [text, object] = strip(await news) as [string, { b: unknown }];
            assert.equal(text, "x");
            assert.deepEqual(view(object.b), [9]);
            socket.on("double", (n: number, ack: (m: number) => void) => ack(n * 2));
            assert.deepEqual(await socket.emitWithAck("ask", "double", [21]), { answer: [42] });
            const refused = clients.io(server.url, { auth: { token: "bad" } });
            const [error] = await once(refused, "connect_error") as [Error & { data?: unknown }];
            assert.equal(error.message, "not authorized");
            assert.deepEqual(error.data, { code: 4001, hint: "use another token" });
          } finally {
            clients.disconnectAll();
          }
        });
      }
    } finally {
      await server.stop();
    }
  });
}
