// Three Servers with the Upstash adapter against a real redis-server behind the Upstash-REST
// fixture, with official socket.io-client 4.8.4 clients spread over them: what one server does
// reaches the clients of all.
import assert from "node:assert/strict";
import type { Server } from "../../server/mod.ts";
import { connectResp } from "../fixtures/mod.ts";
import {
  type ClientSocket,
  type Cluster,
  once,
  sleep,
  times,
  until,
  withUpstashCluster,
} from "./_upstash_cluster.ts";

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
// data says its name and node. Returns once every server counts three.
async function populate({ nodes, client }: Cluster): Promise<Seen> {
  nodes.forEach(({ io }, node) => {
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
  const [a, b, c, d] = await Promise.all([
    make(0, "a", "red"),
    make(1, "b", "red"),
    make(2, "c", "blue"),
    make(2, "d", "red"),
  ]);
  await allCount(nodes.map((node) => node.io), 3);
  return { a, b, c, d, all: [a, b, c, d], log };
}

async function allCount(servers: Server[], count: number): Promise<void> {
  for (const io of servers) {
    await until(async () => await io.of("/").adapter.serverCount() === count, `${count} servers`);
  }
}

function each(clients: ClientSocket[], event: string): Promise<unknown[][]> {
  return Promise.all(clients.map((client) => once(client, event)));
}

function noErrors(cluster: Cluster): void {
  assert.deepEqual(cluster.nodes.map((node) => node.errors.map((e) => e.message)), [[], [], []]);
}

Deno.test("UpstashAdapter broadcasts to all, to a room and to all but a room across servers", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const [io0, io1, io2] = cluster.nodes.map((node) => node.io) as [Server, Server, Server];
    const { a, all, log } = await populate(cluster);

    const news = each(all, "news");
    io1.emit("news", 1, { text: "rain" });
    assert.deepEqual(await news, Array(4).fill([1, { text: "rain" }]));

    // What one server publishes reaches each server in order, so once every server's "mark"
    // arrived, everything sent before it did.
    const marks = Promise.all(all.map((client) => times(client, "mark", 3)));
    io0.to("red").emit("red", 2);
    io2.except("red").emit("not-red", 3);
    io1.to("red").except(a.id!).emit("red-but-a", 4);
    io0.local.emit("local", 5);
    io2.to(a.id!).emit("to-a", 6);
    for (const io of [io0, io1, io2]) io.emit("mark");
    await marks;
    const sorted = Object.fromEntries(Object.entries(log).map(([name, got]) => [name, got.sort()]));
    assert.deepEqual(sorted, {
      a: ["local 5", "mark", "mark", "mark", 'news 1 {"text":"rain"}', "red 2", "to-a 6"],
      b: ["mark", "mark", "mark", 'news 1 {"text":"rain"}', "red 2", "red-but-a 4"],
      c: ["mark", "mark", "mark", 'news 1 {"text":"rain"}', "not-red 3"],
      d: ["mark", "mark", "mark", 'news 1 {"text":"rain"}', "red 2", "red-but-a 4"],
    });
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter keeps the order of one server's broadcasts and carries binary data", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const { nodes } = cluster;
    const { all } = await populate(cluster);
    const got = Promise.all(all.map((client) => times(client, "n", 50)));
    for (let n = 0; n < 50; n++) nodes[1]!.io.emit("n", n);
    for (const received of await got) assert.deepEqual(received.flat(), [...Array(50).keys()]);

    const files = each(all, "file");
    nodes[0]!.io.emit("file", "x.bin", new Uint8Array([0, 1, 254, 255]), {
      nested: [new Uint8Array([7])],
    });
    for (const [name, bytes, nested] of await files as [string, ArrayBuffer, { nested: [] }][]) {
      assert.equal(name, "x.bin");
      assert.deepEqual([...new Uint8Array(bytes)], [0, 1, 254, 255]);
      assert.deepEqual(nested.nested.map((b) => [...new Uint8Array(b)]), [[7]]);
    }
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter subscribes to one pattern for all the namespaces of a server: ',' and glob characters in the key, '#' and '/' in names", async () => {
  // A comma in the key: the event stream's `pmessage,<pattern>,<channel>,<payload>` still
  // reads; `[*]?\` in it must be escaped in the pattern, or it would not match.
  const key = "edge,io[*]?\\";
  await withUpstashCluster({ adapter: { key } }, async (cluster) => {
    const { nodes, client, store } = cluster;
    for (const { io } of nodes) io.of("/a/b").on("connection", () => {});
    const sockets = await Promise.all([
      ...[0, 1, 2].map((i) => client(nodes[i]!.url)),
      ...[0, 1, 2].map((i) => client(`${nodes[i]!.url}/a/b`)),
    ]);
    const redis = await connectResp(store.redis.port);
    try {
      // One stream per server (not one per namespace), on one pattern (NUMPAT counts unique
      // patterns), and no plain channel.
      assert.equal(store.rest.subscriptions, 3);
      assert.equal(await redis.call("PUBSUB", "NUMPAT"), 1);
      assert.deepEqual(await redis.call("PUBSUB", "CHANNELS", "*"), []);
    } finally {
      await redis.close();
    }
    const got = Promise.all(sockets.map((socket) => once(socket, "hi")));
    nodes[2]!.io.emit("hi", "root");
    nodes[0]!.io.of("/a/b").emit("hi", "ab");
    assert.deepEqual(await got, [...Array(3).fill(["root"]), ...Array(3).fill(["ab"])]);
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter gathers the acks of the clients of every server", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const { nodes } = cluster;
    const { all } = await populate(cluster);
    for (const socket of all) {
      socket.on("q", (n: number, ack: (answer: string) => void) => {
        ack(`${(socket.auth as { name: string }).name}${n}`);
      });
    }
    const answers = await nodes[0]!.io.timeout(2000).emitWithAck("q", 1);
    assert.deepEqual([...answers].sort(), ["a1", "b1", "c1", "d1"]);
    const red = await nodes[2]!.io.to("red").timeout(2000).emitWithAck("q", 2);
    assert.deepEqual([...red].sort(), ["a2", "b2", "d2"]);
    const collected = await new Promise<[Error | null, string[]]>((resolve) => {
      nodes[1]!.io.except("blue").timeout(2000).emit(
        "q",
        3,
        (error: Error | null, got: string[]) => resolve([error, got]),
      );
    });
    assert.deepEqual([collected[0], collected[1].sort()], [null, ["a3", "b3", "d3"]]);
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter.fetchSockets() describes the sockets of every server with rooms and data", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const { nodes } = cluster;
    const { a, b, d } = await populate(cluster);
    const red = await nodes[1]!.io.in("red").fetchSockets();
    const byName = red.map((s) => ({ id: s.id, rooms: s.rooms, data: s.data }))
      .sort((x, y) => x.data.name.localeCompare(y.data.name));
    assert.deepEqual(byName, [
      { id: a.id, rooms: [a.id, "red"], data: { name: "a", node: 0 } },
      { id: b.id, rooms: [b.id, "red"], data: { name: "b", node: 1 } },
      { id: d.id, rooms: [d.id, "red"], data: { name: "d", node: 2 } },
    ]);
    const found = red.find((s) => s.id === a.id)!;
    assert.deepEqual((found.handshake as { auth: unknown }).auth, { name: "a", room: "red" });
    assert.equal((await nodes[0]!.io.fetchSockets()).length, 4);
    assert.equal((await nodes[0]!.io.except("red").fetchSockets()).length, 1);
    assert.equal((await nodes[0]!.io.local.fetchSockets()).length, 1);

    // A socket found on another server is driven from here.
    const remote = (await nodes[2]!.io.fetchSockets()).find((s) => s.id === a.id)!;
    const direct = once(a, "direct");
    remote.emit("direct", 9);
    assert.deepEqual(await direct, [9]);
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter: socketsJoin(), socketsLeave() and disconnectSockets() reach other servers", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const { nodes } = cluster;
    const { a, b, c, d } = await populate(cluster);
    const members = (room: string) =>
      nodes.flatMap(({ io }) => [...io.of("/").adapter.rooms.get(room) ?? []]).sort();
    const settled = (room: string, ids: (string | undefined)[]) =>
      until(() => members(room).join() === ids.sort().join(), `${room}: ${ids.join()}`);

    nodes[0]!.io.in("red").socketsJoin(["vip", "gold"]);
    await settled("vip", [a.id, b.id, d.id]);
    await settled("gold", [a.id, b.id, d.id]);

    nodes[2]!.io.except(b.id!).socketsLeave("gold");
    nodes[1]!.io.socketsLeave("red");
    await settled("gold", [b.id]);
    await settled("red", []);

    const gone = Promise.all([a, b, d].map((s) => once(s, "disconnect")));
    nodes[1]!.io.in("vip").disconnectSockets();
    assert.deepEqual(await gone, Array(3).fill(["io server disconnect", undefined]));
    assert.equal(c.connected, true);
    assert.equal((await nodes[0]!.io.fetchSockets()).map((s) => s.id).join(), c.id);
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter: serverSideEmit() reaches the other servers, with acks from each", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const { nodes } = cluster;
    const heard: string[] = [];
    nodes.forEach(({ io }, i) => {
      io.of("/").on("hello", (from: string, ...rest: unknown[]) => {
        const ack = rest.at(-1);
        if (typeof ack === "function") ack(`${i} got ${from}`);
        else heard.push(`${i} ${from}`);
      });
    });
    await allCount(nodes.map((n) => n.io), 3);
    nodes[0]!.io.serverSideEmit("hello", "zero");
    await until(() => heard.length === 2, "two servers heard");
    await sleep(50);
    assert.deepEqual(heard.sort(), ["1 zero", "2 zero"]);
    const answers = await nodes[1]!.io.serverSideEmitWithAck("hello", "one");
    assert.deepEqual([...answers].sort(), ["0 got one", "2 got one"]);
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter.serverCount() drops a server that closed", async () => {
  await withUpstashCluster({}, async (cluster) => {
    const { nodes } = cluster;
    const servers = nodes.map((n) => n.io);
    await allCount(servers, 3);
    await nodes[2]!.close();
    await allCount(servers.slice(0, 2), 2);
    await until(() => cluster.store.rest.subscriptions === 2, "the closed server unsubscribed");
    noErrors(cluster);
  });
});

Deno.test("UpstashAdapter subscribes on first use by default, and a server never used sends nothing", async () => {
  await withUpstashCluster({ adapter: { lazy: true } }, async (cluster) => {
    const { nodes, client, store } = cluster;
    await sleep(100);
    assert.equal(store.rest.subscriptions, 0);
    assert.deepEqual([...store.rest.requests.keys()], []);
    const a = await client(0);
    await store.rest.waitForSubscriptions(1);
    const b = await client(1);
    await store.rest.waitForSubscriptions(2);
    await allCount([nodes[0]!.io, nodes[1]!.io], 2);
    const got = Promise.all([once(a, "hi"), once(b, "hi")]);
    nodes[1]!.io.emit("hi", 1);
    assert.deepEqual(await got, [[1], [1]]);
    assert.equal(store.rest.subscriptions, 2, "server 2 still sleeps");
    noErrors(cluster);
  });
});
