// Connection state recovery with the official socket.io-client 4.8.4.
import assert from "node:assert/strict";
import type { Socket } from "../../server/mod.ts";
import { once, withServer } from "./_harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dropTransport(
  io: { engine: { clients: ReadonlyMap<string, { close(discard?: boolean): void }> } },
) {
  for (const session of io.engine.clients.values()) session.close(true);
  await sleep(50);
}

Deno.test("recovery: a reconnecting client keeps its id, rooms and data and gets what it missed", async () => {
  await withServer({ connectionStateRecovery: true }, async ({ io, client }) => {
    let connected = once(io, "connection");
    const socket = client("/", {
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 50,
    });
    const [first] = await connected as [Socket];
    first.join("news");
    first.data.name = "ada";
    const events: unknown[] = [];
    socket.on("news", (n: unknown) => events.push(n));
    io.to("news").emit("news", 1);
    await sleep(50);
    assert.deepEqual(events, [1]);

    connected = once(io, "connection");
    await dropTransport(io);
    io.to("news").emit("news", 2);
    io.emit("news", 3);
    const [second] = await connected as [Socket];
    await once(socket, "connect").catch(() => {});
    await sleep(100);
    assert.equal(second.recovered, true);
    assert.equal(second.id, first.id);
    assert.equal(second.data.name, "ada");
    assert.ok(second.rooms.has("news"));
    assert.equal(socket.recovered, true);
    assert.deepEqual(events, [1, 2, 3]);
  });
});

Deno.test("recovery: a client that had received no event before it dropped still recovers", async () => {
  await withServer({ connectionStateRecovery: true }, async ({ io, client }) => {
    let connected = once(io, "connection");
    const socket = client("/", {
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 50,
    });
    const [first] = await connected as [Socket];
    if (!socket.connected) await once(socket, "connect"); // the client holds its pid from then on
    const events: unknown[] = [];
    socket.on("late", (n: unknown) => events.push(n));
    connected = once(io, "connection");
    await dropTransport(io);
    io.emit("late", "missed");
    const [second] = await connected as [Socket];
    await sleep(100);
    assert.equal(second.recovered, true);
    assert.equal(second.id, first.id);
    assert.deepEqual(events, ["missed"]);
  });
});

Deno.test("recovery: io.use() is skipped on recovery unless skipMiddlewares is false", async () => {
  for (const skipMiddlewares of [true, false]) {
    await withServer({ connectionStateRecovery: { skipMiddlewares } }, async ({ io, client }) => {
      let runs = 0;
      io.use((_socket, next) => {
        runs++;
        next();
      });
      let connected = once(io, "connection");
      const socket = client("/", {
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 50,
      });
      await connected;
      if (!socket.connected) await once(socket, "connect");
      connected = once(io, "connection");
      await dropTransport(io);
      const [second] = await connected as [Socket];
      assert.equal(second.recovered, true);
      assert.equal(runs, skipMiddlewares ? 1 : 2);
    });
  }
});
