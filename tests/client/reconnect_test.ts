// Reconnection of our client: the server stops and starts again on the same port, a server that
// stays down exhausts reconnectionAttempts, and a server that never answers hits `timeout`.
import assert from "node:assert/strict";
import { Clients, KINDS, once, ready, type TestServer, whoami } from "./_servers.ts";

const SHORT = { reconnectionDelay: 50, reconnectionDelayMax: 100, randomizationFactor: 0 };
const ERROR = { polling: "xhr poll error", websocket: "websocket error" } as const;

for (const kind of KINDS) {
  for (const transport of ["polling", "websocket"] as const) {
    Deno.test(`client reconnects after the ${kind.name} server restarts (${transport})`, async () => {
      const first = await kind.start();
      let current: TestServer = first;
      const clients = new Clients({ transports: [transport] });
      try {
        const socket = clients.io(first.url, { ...SHORT, autoConnect: false, reconnection: true });
        assert.equal(socket.io.engine, undefined);
        assert.equal(socket.active, false);
        socket.connect();
        await ready(socket);
        const firstId = socket.id;
        const events: unknown[][] = [];
        socket.io.on("reconnect_attempt", (n) => events.push(["attempt", n]));
        socket.io.on("reconnect_error", (error) => events.push(["error", error.message]));
        socket.io.on("reconnect", (n) => events.push(["reconnect", n]));
        const disconnected = once(socket, "disconnect");
        const failed = once(socket.io, "reconnect_error");
        await first.stop();
        // Over websocket the server's close frame arrives. Over polling the parked GET gets the
        // close packet, unless the client's next GET is still on its way when the server stops.
        const [reason] = await disconnected;
        if (transport === "websocket") assert.equal(reason, "transport close");
        else assert.ok(reason === "transport close" || reason === "transport error", `${reason}`);
        assert.equal(socket.active, true);
        await failed;
        current = await kind.start({ port: first.port });
        const connected = once(socket, "connect");
        const [attempts] = await once(socket.io, "reconnect") as [number];
        await connected;
        const expected: unknown[][] = [];
        for (let n = 1; n <= attempts; n++) {
          expected.push(["attempt", n]);
          if (n < attempts) expected.push(["error", ERROR[transport]]);
        }
        expected.push(["reconnect", attempts]);
        assert.ok(attempts >= 2, `${attempts} attempts`);
        assert.deepEqual(events, expected);
        // A new server knows nothing of the old session.
        assert.equal(socket.recovered, false);
        assert.notEqual(socket.id, firstId);
        const me = await whoami(socket);
        assert.equal(me.id, socket.id);
        assert.equal(me.recovered, false);
      } finally {
        clients.disconnectAll();
        await current.stop();
      }
    });

    Deno.test(`client gives up after reconnectionAttempts (${kind.name}, ${transport})`, async () => {
      const server = await kind.start();
      const clients = new Clients({ transports: [transport] });
      try {
        const socket = await clients.connect(server.url, {
          ...SHORT,
          reconnection: true,
          reconnectionAttempts: 2,
        });
        const events: unknown[][] = [];
        socket.io.on("reconnect_attempt", (n) => events.push(["attempt", n]));
        socket.io.on("reconnect_error", (error) => events.push(["error", error.message]));
        socket.io.on("reconnect_failed", () => events.push(["failed"]));
        const failed = once(socket.io, "reconnect_failed");
        await server.stop();
        await failed;
        // socket.io-client's order: the last attempt's error comes right after reconnect_failed.
        assert.deepEqual(events, [
          ["attempt", 1],
          ["error", ERROR[transport]],
          ["attempt", 2],
          ["failed"],
          ["error", ERROR[transport]],
        ]);
        assert.equal(socket.connected, false);
      } finally {
        clients.disconnectAll();
        await server.stop();
      }
    });
  }
}

Deno.test("client gives connect_error 'timeout' when the server never answers", async () => {
  // A TCP listener that accepts and never says a word.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn);
  })();
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const clients = new Clients();
  try {
    for (const transport of ["polling", "websocket"] as const) {
      const socket = clients.io(url, { transports: [transport], timeout: 200 });
      const started = Date.now();
      const [error] = await once(socket, "connect_error") as [Error];
      assert.equal(error.message, "timeout");
      assert.ok(Date.now() - started >= 190, `${Date.now() - started} ms`);
      assert.equal(socket.connected, false);
      assert.equal(socket.io.engine!.readyState, "closed");
    }
  } finally {
    clients.disconnectAll();
    listener.close();
    await accepting;
    for (const conn of conns) conn.close();
  }
});
