// Connection state recovery across servers with the Upstash adapter: a client whose server went
// away resumes on another one (same id, rooms, the events it missed in order), through a
// forwarder that keeps the client's URL while its target changes.
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import {
  type ClientSocket,
  once,
  sleep,
  startForwarder,
  times,
  until,
  within,
  withUpstashCluster,
} from "./_upstash_cluster.ts";

const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } };
const RECONNECT = {
  reconnection: true,
  reconnectionDelay: 50,
  reconnectionDelayMax: 100,
  randomizationFactor: 0,
};

/** Every event a client receives, with its arguments, in arrival order. */
function record(socket: ClientSocket): unknown[][] {
  const got: unknown[][] = [];
  socket.onAny((...args: unknown[]) => got.push(args));
  return got;
}

Deno.test("UpstashAdapter: a client resumes on another server with its id, rooms and missed events", async () => {
  const forwarder = startForwarder(undefined);
  try {
    await withUpstashCluster({
      server: RECOVERY,
      setup(io) {
        io.on("connection", (socket) => {
          if (socket.handshake.auth.watcher) socket.join("sport");
          if (!socket.recovered) {
            socket.join("news");
            socket.data = { joinedAt: "first" };
          }
          socket.on(
            "whoami",
            (ack: (answer: unknown) => void) =>
              ack({ recovered: socket.recovered, rooms: [...socket.rooms].sort() }),
          );
        });
      },
    }, async ({ nodes, client }) => {
      const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
      for (const { io } of nodes) {
        await until(async () => await io.of("/").adapter.serverCount() === 3, "3 servers");
      }
      forwarder.target = a.url;
      const socket = await client(forwarder.url, RECONNECT);
      const id = socket.id;
      // A client elsewhere, in every room, to see when a broadcast landed.
      const watcher = await client(c.url, { auth: { watcher: true } });
      const got = record(socket);

      // Before the drop: received live, each with its offset (the log id) last.
      const before = once(socket, "news");
      b.io.to("news").emit("news", 0);
      const [zero, offset0] = await before as [number, string];
      assert.equal(zero, 0);
      assert.match(offset0, /^\d+-\d+$/);

      // A goes away; while the client cannot reach any server, B and C broadcast.
      forwarder.target = undefined;
      const dropped = once(socket, "disconnect");
      await a.close();
      await dropped;
      // One at a time (each seen by the watcher first), so the log order is the order here.
      for (
        const send of [
          () => b.io.to("news").emit("news", 1),
          () => c.io.to("sport").emit("sport", "not for the client"),
          () => c.io.to(id!).to("sport").emit("direct", 5),
          () => c.io.emit("all", 2, new Uint8Array([1, 2])),
          () => b.io.to("news").except("nobody").emit("news", 3),
        ]
      ) {
        const seen = within(new Promise((resolve) => watcher.onAny(resolve)), 5000);
        send();
        await seen;
        watcher.offAny();
      }

      // Back, on B: the same socket, its rooms, and what it missed in log order.
      const back = once(socket, "connect");
      forwarder.target = b.url;
      await back;
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, id);
      const whoami = await socket.timeout(2000).emitWithAck("whoami");
      assert.deepEqual(whoami, { recovered: true, rooms: [id, "news"].sort() });
      const missed = got.slice(1).filter(([event]) => event !== "mark");
      const plain = (value: unknown) =>
        value instanceof ArrayBuffer
          ? [...new Uint8Array(value)]
          : ArrayBuffer.isView(value)
          ? [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)]
          : value;
      assert.deepEqual(missed.map((args) => args.slice(0, -1).map(plain)), [
        ["news", 1],
        ["direct", 5],
        ["all", 2, [1, 2]],
        ["news", 3],
      ]);
      const ids = missed.map((args) => args.at(-1) as string);
      assert.deepEqual([...ids].sort(compareIds), ids, "in log order");
      assert.ok(ids.every((next) => compareIds(next, offset0) > 0));

      // Its data travelled, and a room broadcast from any server reaches it on B.
      const [found] = await c.io.in(id!).fetchSockets();
      assert.deepEqual(found?.data, { joinedAt: "first" });
      const after = once(socket, "news");
      c.io.to("news").emit("news", 4);
      assert.equal((await after)[0], 4);
    });
  } finally {
    await forwarder.close();
  }
});

function compareIds(x: string, y: string): number {
  const [xm, xs] = x.split("-").map(Number) as [number, number];
  const [ym, ys] = y.split("-").map(Number) as [number, number];
  return xm - ym || xs - ys;
}

Deno.test("UpstashAdapter with recovery delivers a server's broadcasts to its own clients in order, with offsets", async () => {
  await withUpstashCluster({ server: RECOVERY }, async ({ nodes, client }) => {
    const local = await client(0);
    const remote = await client(1);
    const got = [times(local, "n", 30), times(remote, "n", 30)];
    for (let n = 0; n < 30; n++) nodes[0]!.io.emit("n", n);
    const [mine, theirs] = await Promise.all(got) as [unknown[][], unknown[][]];
    assert.deepEqual(mine.map(([n]) => n), [...Array(30).keys()]);
    // Both clients hold the same offsets: the ids of the shared log.
    assert.deepEqual(mine, theirs);
    const ids = mine.map(([, id]) => id as string);
    assert.deepEqual([...ids].sort(compareIds), ids);
    assert.equal(new Set(ids).size, 30);
  });
});

Deno.test("UpstashAdapter does not resume a session that expired, or whose offset the log dropped", async () => {
  const forwarder = startForwarder(undefined);
  try {
    await withUpstashCluster({
      nodes: 2,
      server: { connectionStateRecovery: { maxDisconnectionDuration: 300 } },
      adapter: { logSize: 5 },
    }, async ({ nodes, client }) => {
      const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
      forwarder.target = a.url;
      const socket = await client(forwarder.url, RECONNECT);
      const received = once(socket, "hi");
      b.io.emit("hi");
      await received;

      // Away longer than maxDisconnectionDuration: a new session.
      const first = socket.id;
      forwarder.target = undefined;
      const dropped = once(socket, "disconnect");
      socket.io.engine.close();
      await dropped;
      await sleep(500);
      const back = once(socket, "connect");
      forwarder.target = b.url;
      await back;
      assert.equal(socket.recovered, false);
      assert.notEqual(socket.id, first);

      // Away briefly: recovered while the log (about 5 entries) still holds its offset, not once
      // it moved on past it.
      const away = async (missed: number, to: string) => {
        forwarder.target = undefined;
        const dropped = once(socket, "disconnect");
        socket.io.engine.close();
        await dropped;
        for (let n = 0; n < missed; n++) a.io.emit("flood", n);
        await until(() => a.adapter().pending === 0, "the flood published");
        const back = once(socket, "connect");
        forwarder.target = to;
        await back;
      };
      const second = socket.id;
      const floods = record(socket);
      await away(3, a.url);
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, second);
      await until(() => floods.length === 3, "the three missed");
      assert.deepEqual(floods.map((args) => args.slice(0, 2)), [0, 1, 2].map((n) => ["flood", n]));
      await away(300, b.url);
      assert.equal(socket.recovered, false);
      assert.notEqual(socket.id, second);
    });
  } finally {
    await forwarder.close();
  }
});

Deno.test("UpstashAdapter: a server that closes takes its live sessions and itself out of the store, after its writes in flight", async () => {
  await withUpstashCluster({
    nodes: 1,
    server: RECOVERY,
    setup(io) {
      io.on("connection", (socket) => socket.on("join", (room: string) => socket.join(room)));
    },
  }, async ({ nodes, client, store }) => {
    const redis = new Redis({ ...store.credentials, enableTelemetry: false });
    const socket = await client(0);
    await until(async () => (await redis.keys("*live#*")).length === 1, "the session tracked");
    // A room change starts a write of the session; the server closes right behind it.
    socket.emit("join", "late");
    await sleep(5);
    await nodes[0]!.close();
    assert.deepEqual(await redis.keys("*live#*"), [], "no live session left");
    const [nodesKey] = await redis.keys("*nodes");
    assert.deepEqual(nodesKey ? await redis.zrange(nodesKey, 0, -1) : [], [], "no node left");
  });
});
