// Socket.IO v2 clients (socket.io-client 2.5.0: EIO=3, protocol v4) against our server with
// allowEIO3: the implicit "/" connection, ids, auth from the namespace query, v4 error packets.
import assert from "node:assert/strict";
import type { Socket } from "../../server/mod.ts";
import { connectV2, type V2Socket } from "../legacy/mod.ts";
import { once, withServer } from "./_harness.ts";

function v2(url: string, nsp = "/", opts: Record<string, unknown> = {}): V2Socket {
  return connectV2(`${url}${nsp}`, { forceNew: true, reconnection: false, ...opts });
}

for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
  Deno.test(`socket.io v2 client (${transports}): implicit connection, events, acks and binary`, async () => {
    await withServer({ allowEIO3: true }, async ({ io, url }) => {
      const connected = once(io, "connection");
      const client = v2(url, "/", { transports });
      try {
        const [serverSocket] = await connected as [Socket];
        await once(client, "connect");
        assert.equal(serverSocket.conn.protocol, 3);
        assert.equal(serverSocket.id, client.io.engine.id, "v2 ids on / are the engine id");
        assert.equal(client.id, serverSocket.id);
        serverSocket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
        const answer = await new Promise((resolve) => client.emit("echo", { n: 1 }, resolve));
        assert.deepEqual(answer, { n: 1 });
        const bytes = new Uint8Array([7, 8, 9]);
        const received = once(client, "bin");
        serverSocket.emit("bin", { nested: bytes });
        const [value] = await received as [{ nested: Uint8Array }];
        assert.deepEqual(new Uint8Array(value.nested), bytes);
      } finally {
        client.close();
      }
    });
  });
}

Deno.test("socket.io v2 client: namespaces take auth from the query and ids carry the namespace", async () => {
  await withServer({ allowEIO3: true }, async ({ io, url }) => {
    const admin = io.of("/admin");
    const joined = once(admin, "connection");
    const client = v2(url, "/admin", { query: { token: "abc" } });
    try {
      const [serverSocket] = await joined as [Socket];
      await once(client, "connect");
      assert.equal(serverSocket.handshake.auth.token, "abc");
      assert.equal(serverSocket.id, `/admin#${client.io.engine.id}`);
    } finally {
      client.close();
    }
  });
});

Deno.test("socket.io v2 client: a middleware refusal arrives as a v4 error packet", async () => {
  await withServer({ allowEIO3: true }, async ({ io, url }) => {
    io.of("/private").use((_socket, next) => next(new Error("not allowed")));
    const client = v2(url, "/private");
    try {
      const [error] = await once(client, "error");
      assert.equal(error, "not allowed");
    } finally {
      client.close();
    }
  });
});

Deno.test("socket.io v2 client: refused when allowEIO3 is off", async () => {
  await withServer({}, async ({ url }) => {
    const client = v2(url, "/", { transports: ["polling"] });
    try {
      await once(client, "connect_error");
      assert.equal(client.connected, false);
    } finally {
      client.close();
    }
  });
});
