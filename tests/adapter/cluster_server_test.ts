// Three real Servers, each with a ClusterAdapter over an in-process bus, and official
// socket.io-client 4.8.4 clients on Deno.serve: what one server does reaches the clients of all.
import assert from "node:assert/strict";
import { MessageType } from "../../adapter/mod.ts";
import type { Server } from "../../server/mod.ts";
import {
  all as waitAll,
  type ClientSocket,
  each,
  once,
  times,
  withCluster,
} from "./_cluster_bus.ts";

interface Seen {
  a: ClientSocket;
  b: ClientSocket;
  c: ClientSocket;
  d: ClientSocket;
  all: ClientSocket[];
  /** What each client received so far, as "event args…", by name. */
  log: Record<string, string[]>;
}

// a on node0 in red, b on node1 in red, c on node2 in blue, d on node2 in red; each socket's
// data says its name and node.
async function populate(
  servers: Server[],
  client: (node: number, options?: Record<string, unknown>) => Promise<ClientSocket>,
): Promise<Seen> {
  servers.forEach((io, node) => {
    io.on("connection", (socket) => {
      const { name, room } = socket.handshake.auth as { name: string; room: string };
      socket.data = { name, node };
      socket.join(room);
    });
  });
  const log: Record<string, string[]> = {};
  const make = async (node: number, name: string, room: string) => {
    const socket = await client(node, { auth: { name, room } });
    log[name] = [];
    socket.onAny((event: string, ...args: unknown[]) => {
      log[name]!.push([event, ...args.map((a) => JSON.stringify(a))].join(" "));
    });
    return socket;
  };
  const a = await make(0, "a", "red");
  const b = await make(1, "b", "red");
  const c = await make(2, "c", "blue");
  const d = await make(2, "d", "red");
  return { a, b, c, d, all: [a, b, c, d], log };
}

Deno.test("ClusterAdapter.broadcast() reaches all, a room, and all but a room on every server", async () => {
  await withCluster({ serve: true }, async ({ servers, client }) => {
    const [io0, io1, io2] = servers as [Server, Server, Server];
    const { a, all, log } = await populate(servers, client);

    const news = each(all, "news");
    io1.emit("news", 1, { text: "rain" });
    assert.deepEqual(await news, [[1, { text: "rain" }], [1, { text: "rain" }], [1, {
      text: "rain",
    }], [1, { text: "rain" }]]);

    // What one server publishes reaches each server in order, so once every server's "mark"
    // arrived, everything sent before it did. Servers do not agree on an order between them.
    const marks = waitAll(all.map((client) => times(client, "mark", 3)));
    io0.to("red").emit("red", 2);
    io2.except("red").emit("not-red", 3);
    io1.to("red").except(a.id!).emit("red-but-a", 4);
    io0.local.emit("local", 5);
    io2.to(a.id!).emit("to-a", 6);
    for (const io of servers) io.emit("mark");
    await marks;
    const sorted = Object.fromEntries(Object.entries(log).map(([name, got]) => [name, got.sort()]));
    assert.deepEqual(sorted, {
      a: ["local 5", "mark", "mark", "mark", 'news 1 {"text":"rain"}', "red 2", "to-a 6"],
      b: ["mark", "mark", "mark", 'news 1 {"text":"rain"}', "red 2", "red-but-a 4"],
      c: ["mark", "mark", "mark", 'news 1 {"text":"rain"}', "not-red 3"],
      d: ["mark", "mark", "mark", 'news 1 {"text":"rain"}', "red 2", "red-but-a 4"],
    });
  });
});

Deno.test("ClusterAdapter.broadcast() carries binary data to the clients of other servers", async () => {
  await withCluster({ serve: true }, async ({ servers, client }) => {
    const remote = await client(2);
    const got = once(remote, "file");
    servers[0]!.emit("file", "x.bin", new Uint8Array([0, 1, 254, 255]), {
      nested: [new Uint8Array([7])],
    });
    const [name, bytes, nested] = await got as [string, ArrayBuffer, { nested: ArrayBuffer[] }];
    assert.equal(name, "x.bin");
    assert.deepEqual([...new Uint8Array(bytes)], [0, 1, 254, 255]);
    assert.deepEqual([...new Uint8Array(nested.nested[0]!)], [7]);
  });
});

Deno.test("socket.broadcast.emit() on one server reaches every other client of the cluster", async () => {
  await withCluster({ serve: true }, async ({ servers, client }) => {
    servers[1]!.on("connection", (socket) => {
      socket.on("shout", (text: string) => socket.broadcast.emit("heard", text));
    });
    const speaker = await client(1);
    const listeners = [await client(0), await client(1), await client(2)];
    const heard: string[] = [];
    speaker.on("heard", () => heard.push("speaker"));
    listeners.forEach((l, i) => l.on("heard", (text: string) => heard.push(`${i} ${text}`)));
    speaker.emit("shout", "hi");
    await waitAll(listeners.map((l) => once(l, "heard")));
    const marks = each([speaker, ...listeners], "mark");
    servers[1]!.emit("mark");
    await marks;
    assert.deepEqual(heard.sort(), ["0 hi", "1 hi", "2 hi"]);
  });
});

Deno.test("ClusterAdapter.broadcastWithAck() counts the clients of every server and gathers every ack", async () => {
  await withCluster({ serve: true }, async ({ servers, client }) => {
    const { all } = await populate(servers, client);
    for (const socket of all) {
      socket.on("q", (n: number, ack: (answer: string) => void) => {
        ack(`${(socket.auth as { name: string }).name}${n}`);
      });
    }
    const answers = await servers[0]!.timeout(2000).emitWithAck("q", 1);
    assert.deepEqual([...answers].sort(), ["a1", "b1", "c1", "d1"]);
    const red = await servers[2]!.to("red").timeout(2000).emitWithAck("q", 2);
    assert.deepEqual([...red].sort(), ["a2", "b2", "d2"]);

    // The adapter itself: the count is reported once, the total of all servers.
    const counts: number[] = [];
    const acks: unknown[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => done = resolve);
    servers[1]!.of("/").adapter.broadcastWithAck(
      { type: 2, nsp: "/", data: ["q", 3] },
      { rooms: new Set(["red", "blue"]), except: new Set(["blue"]) },
      (count) => counts.push(count),
      (answer) => acks.push(answer) === 3 && done(),
    );
    await finished;
    assert.deepEqual(counts, [3]);
    assert.deepEqual(acks.sort(), ["a3", "b3", "d3"]);
  });
});

Deno.test("ClusterAdapter.fetchSockets() describes the matching sockets of every server", async () => {
  await withCluster({ serve: true }, async ({ servers, client }) => {
    const { a, b, d } = await populate(servers, client);
    const red = await servers[1]!.in("red").fetchSockets();
    const byName = red.map((s) => ({ id: s.id, rooms: s.rooms, data: s.data }))
      .sort((x, y) => x.data.name.localeCompare(y.data.name));
    assert.deepEqual(byName, [
      { id: a.id, rooms: [a.id, "red"], data: { name: "a", node: 0 } },
      { id: b.id, rooms: [b.id, "red"], data: { name: "b", node: 1 } },
      { id: d.id, rooms: [d.id, "red"], data: { name: "d", node: 2 } },
    ]);
    const found = red.find((s) => s.id === a.id)!;
    assert.deepEqual((found.handshake as { auth: unknown }).auth, { name: "a", room: "red" });
    assert.equal((await servers[0]!.fetchSockets()).length, 4);
    assert.equal((await servers[0]!.except("red").fetchSockets()).length, 1);
    assert.equal((await servers[0]!.local.fetchSockets()).length, 1);

    // A socket found on another server is driven from here.
    const remote = (await servers[2]!.fetchSockets()).find((s) => s.id === a.id)!;
    const direct = once(a, "direct");
    remote.emit("direct", 9);
    assert.deepEqual(await direct, [9]);
  });
});

Deno.test("socketsJoin(), socketsLeave() and disconnectSockets() act on the sockets of every server", async () => {
  await withCluster({ serve: true }, async ({ servers, client, bus }) => {
    const { a, b, c, d } = await populate(servers, client);
    const members = (room: string) =>
      servers.flatMap((io) => [...io.of("/").adapter.rooms.get(room) ?? []]).sort();

    servers[0]!.in("red").socketsJoin(["vip", "gold"]);
    await bus.settle();
    assert.deepEqual(members("vip"), [a.id, b.id, d.id].sort());
    assert.deepEqual(members("gold"), [a.id, b.id, d.id].sort());

    servers[2]!.except(b.id!).socketsLeave("gold");
    servers[1]!.socketsLeave("red");
    await bus.settle();
    assert.deepEqual(members("gold"), [b.id]);
    assert.deepEqual(members("red"), []);

    const gone = waitAll([a, b, d].map((s) => once(s, "disconnect")));
    servers[1]!.in("vip").disconnectSockets();
    assert.deepEqual(await gone, [
      ["io server disconnect", undefined],
      ["io server disconnect", undefined],
      ["io server disconnect", undefined],
    ]);
    assert.equal(c.connected, true);
    assert.equal((await servers[0]!.fetchSockets()).map((s) => s.id).join(), c.id);
  });
});

Deno.test("ClusterAdapter keeps connection state recovery per server and publishes clean packets", async () => {
  await withCluster({
    serve: true,
    server: { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } },
  }, async ({ servers, client, bus }) => {
    const [io0, io1] = servers as [Server, Server];
    io0.on("connection", (socket) => {
      if (!socket.recovered) socket.join("news");
      socket.on("me", () => socket.emit("you"));
    });
    const socket = await client(0, {
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 100,
      randomizationFactor: 0,
    });
    bus.takeTypes();

    // An emit to one local socket stays here.
    const you = once(socket, "you");
    socket.emit("me");
    await you;
    assert.deepEqual(bus.takeTypes(), []);

    // A broadcast from another server is logged here with an offset of this server's.
    const first = once(socket, "news");
    io1.to("news").emit("news", 1);
    // The client gets the offset as a last argument, and sends it back to recover.
    assert.deepEqual(await first, [1, io0.of("/").adapter.currentOffset()]);
    const broadcast = bus.published.find((p) => p.message.type === MessageType.BROADCAST)!;
    assert.deepEqual(broadcast.message.data, {
      packet: { type: 2, nsp: "/", data: ["news", 1] },
      opts: { rooms: ["news"], except: [], flags: {} },
    });
    assert.equal(typeof io0.of("/").adapter.currentOffset(), "string");

    // Missed while away, sent from another server: recovered on reconnection.
    const away = once(socket, "disconnect");
    socket.io.engine.close();
    await away;
    await bus.settle();
    io1.to("news").emit("news", 2);
    await bus.settle();
    const [, missed] = await waitAll([once(socket, "connect"), once(socket, "news")]);
    assert.equal(socket.recovered, true);
    assert.deepEqual(missed, [2, io0.of("/").adapter.currentOffset()]);
  });
});
