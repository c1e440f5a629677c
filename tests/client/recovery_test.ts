// Connection state recovery: the transport is cut (by the client or by the server), the server
// emits to the socket while it is away, and the reconnected socket gets the same id and the
// missed events in order. A deliberate disconnect does not recover.
import assert from "node:assert/strict";
import type { Socket as ClientSocket } from "../../client/mod.ts";
import { Clients, collect, KINDS, once, strip, TRANSPORTS, whoami } from "./_servers.ts";

const RECONNECT = {
  reconnection: true,
  // Long enough for the server to notice the cut before the client comes back.
  reconnectionDelay: 100,
  reconnectionDelayMax: 100,
  randomizationFactor: 0,
};

// Connects with recovery armed: the server emits "missed" 1, 2, 3 to the socket when it drops.
async function connect(url: string, clients: Clients): Promise<ClientSocket> {
  const socket = await clients.connect(url, RECONNECT);
  await socket.emitWithAck("miss-on-drop");
  // The client keeps the offset of the last event it got; the official server needs one.
  const news = once(socket, "news");
  socket.emit("emit-back", "news", 0);
  await news;
  return socket;
}

async function assertRecovered(
  socket: ClientSocket,
  cut: () => void,
  expectedReason: string,
): Promise<void> {
  const id = socket.id;
  const reasons: unknown[] = [];
  socket.on("disconnect", (reason) => reasons.push(reason));
  const missed = collect(socket, "missed", 3);
  const reconnected = once(socket, "connect");
  cut();
  await reconnected;
  assert.deepEqual(reasons, [expectedReason]);
  assert.equal(socket.recovered, true);
  assert.equal(socket.id, id);
  assert.deepEqual((await missed).map(strip), [[1], [2], [3]]);
  const me = await whoami(socket);
  assert.equal(me.recovered, true);
  assert.equal(me.id, id);
}

const CASES: Array<[string, (socket: ClientSocket) => Promise<void>]> = [
  ["recovers its session after it cuts the transport", async (socket) => {
    await assertRecovered(socket, () => socket.io.engine!.close(), "forced close");
  }],
  ["recovers its session after the server cuts the transport", async (socket) => {
    await assertRecovered(socket, () => socket.emit("cut"), "transport close");
    // And again: the offset moved on with the replayed events.
    await assertRecovered(socket, () => socket.io.engine!.close(), "forced close");
  }],
  ["does not recover after disconnect()", async (socket) => {
    const id = socket.id;
    const missed: unknown[] = [];
    socket.on("missed", (...args: unknown[]) => missed.push(args));
    socket.disconnect();
    socket.connect();
    await once(socket, "connect");
    assert.equal(socket.recovered, false);
    assert.notEqual(socket.id, id);
    const me = await whoami(socket);
    assert.equal(me.recovered, false);
    assert.equal(me.id, socket.id);
    assert.deepEqual(missed, []);
  }],
];

for (const kind of KINDS) {
  for (const transports of TRANSPORTS) {
    Deno.test(`client recovery (${kind.name}, ${transports.join("+")})`, async (t) => {
      const server = await kind.start();
      try {
        for (const [name, run] of CASES) {
          await t.step(name, async () => {
            const clients = new Clients({ transports });
            try {
              await run(await connect(server.url, clients));
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
}
