// Heartbeat: a server that stops pinging (the Node process stopped with SIGSTOP, or our server
// with its timers frozen) is detected after pingInterval + pingTimeout: disconnect "ping timeout".
import assert from "node:assert/strict";
import { Clients, KINDS, once } from "./_servers.ts";

// Small enough to keep the test short, large enough for a loaded machine to answer in time.
const PING_INTERVAL = 200;
const PING_TIMEOUT = 300;

for (const kind of KINDS) {
  for (const transport of ["polling", "websocket"] as const) {
    Deno.test(`client notices a silent ${kind.name} server: "ping timeout" (${transport})`, async () => {
      const server = await kind.start({ pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
      const clients = new Clients({ transports: [transport] });
      try {
        const socket = await clients.connect(server.url);
        let lastPing = 0;
        let pings = 0;
        socket.io.on("ping", () => {
          lastPing = Date.now();
          pings++;
        });
        // Pings flow (and are answered: the server would drop us otherwise) before it goes quiet.
        await once(socket.io, "ping");
        await once(socket.io, "ping");
        const disconnected = once(socket, "disconnect");
        server.stopPings();
        const [reason] = await disconnected;
        assert.equal(reason, "ping timeout");
        const silence = Date.now() - lastPing;
        assert.ok(
          silence >= PING_INTERVAL + PING_TIMEOUT - 10,
          `${silence} ms after the last ping`,
        );
        assert.ok(pings >= 2);
        assert.equal(socket.connected, false);
        assert.equal(socket.io.engine!.readyState, "closed");
      } finally {
        clients.disconnectAll();
        await server.stop();
      }
    });
  }
}
