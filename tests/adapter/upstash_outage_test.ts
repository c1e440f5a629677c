// The Upstash adapter while the store is away: redis-server killed and restarted, or the REST
// endpoint answering 503. Servers keep serving their own clients, nothing crashes, what waits
// for the store is bounded, and every message published meanwhile is either delivered once the
// store is back or reported lost on the adapter's `error` event — the two add up.
import assert from "node:assert/strict";
import type { Server } from "../../server/mod.ts";
import { connectResp, text } from "../fixtures/mod.ts";
import {
  type ClientSocket,
  type Cluster,
  once,
  sleep,
  times,
  until,
  withUpstashCluster,
} from "./_upstash_cluster.ts";

/** The messages the errors of `node` reported lost. */
function lost(cluster: Cluster, node: number): number {
  return cluster.nodes[node]!.errors.reduce(
    (sum, error) => sum + ((error as Error & { lost?: number }).lost ?? 0),
    0,
  );
}

/** Records the first argument of every `event` a client receives. */
function record(socket: ClientSocket, event: string): unknown[] {
  const got: unknown[] = [];
  socket.on(event, (value: unknown) => got.push(value));
  return got;
}

async function counting(servers: Server[], count: number): Promise<void> {
  for (const io of servers) {
    await until(async () => await io.of("/").adapter.serverCount() === count, `${count} servers`);
  }
}

Deno.test("UpstashAdapter rides out a killed redis-server: local clients served, messages retried and delivered", async () => {
  await withUpstashCluster({
    nodes: 2,
    server: { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } },
    adapter: { maxRetryTime: 10_000, localDeliveryTimeout: 300, heartbeatTimeout: 5000 },
    setup(io) {
      io.on("connection", (socket) => socket.join("r"));
    },
  }, async (cluster) => {
    const { nodes, client, store } = cluster;
    const [io0, io1] = nodes.map((n) => n.io) as [Server, Server];
    const a = await client(0);
    const b = await client(1);
    await counting([io0, io1], 2);
    const during = record(b, "during");

    await store.redis.kill();
    // Local clients are still served, by a local broadcast and by one meant for all servers.
    const local = once(a, "local");
    io0.local.to("r").emit("local", 1);
    assert.equal((await local)[0], 1);
    const mine = once(a, "everyone");
    io0.to("r").emit("everyone", 2);
    assert.equal((await mine)[0], 2);
    // Published while the store is away: they wait (bounded), and are retried.
    for (let n = 0; n < 20; n++) io0.emit("during", n);
    assert.ok(nodes[0]!.adapter().pending >= 20, "waiting for the store");
    await sleep(300);
    assert.deepEqual(during, []);
    await store.redis.restart();

    // Once it is back, every message published meanwhile arrives, once and in order.
    await until(() => during.length >= 20, "the messages of the outage delivered", 10_000);
    await sleep(100);
    assert.deepEqual(during, [...Array(20).keys()]);
    assert.equal(lost(cluster, 0), 0);
    assert.ok(nodes[0]!.errors.length > 0, "the retries were reported (lost: 0)");
    await until(() => nodes[0]!.adapter().pending === 0, "nothing waits any more");

    // The restarted store is empty: the sessions of the connected sockets are written again.
    const redis = await connectResp(store.redis.port);
    try {
      for (const [node, socket] of [[0, a], [1, b]] as const) {
        const key = `socket.io#/#live#${nodes[node]!.adapter().uid}`;
        await until(async () => await redis.call("HLEN", key) === 1, `${key} written again`);
        const [, value] = await redis.call("HGETALL", key) as Uint8Array[];
        const { sid, rooms } = JSON.parse(text(value!));
        assert.deepEqual([sid, rooms.sort()], [socket.id, [socket.id, "r"].sort()]);
      }
    } finally {
      await redis.close();
    }

    // Cross-server broadcasts work again, both ways.
    const back = [once(a, "back"), once(b, "back")];
    io1.emit("back", 3);
    assert.deepEqual((await Promise.all(back)).map(([n]) => n), [3, 3]);
    await counting([io0, io1], 2);
  });
});

Deno.test("UpstashAdapter reports what overflows maxPending or outlives maxRetryTime, and delivers the rest", async () => {
  const maxPending = 5;
  await withUpstashCluster({
    nodes: 2,
    // Server 0 keeps its messages as long as needed; server 1 gives up after 300 ms. Recovery
    // on: local deliveries wait (briefly) for each message's log id.
    adapter: (index) => ({
      maxPending,
      maxRetryTime: index === 0 ? 60_000 : 300,
      localDeliveryTimeout: 200,
    }),
    server: { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } },
  }, async (cluster) => {
    const { nodes, client, store } = cluster;
    const [io0, io1] = nodes.map((n) => n.io) as [Server, Server];
    const a = await client(0);
    const b = await client(1);
    await counting([io0, io1], 2);
    const atB = record(b, "burst");
    const local = record(a, "burst");
    const atA = record(a, "late");

    await store.rest.pause();
    let most = 0;
    const sent = 30;
    for (let n = 0; n < sent; n++) {
      io0.emit("burst", n);
      most = Math.max(most, nodes[0]!.adapter().pending);
    }
    assert.ok(most <= maxPending, `at most ${maxPending} wait, not ${most}`);
    const overflowed = lost(cluster, 0);
    assert.ok(overflowed >= sent - maxPending, `${overflowed} reported lost at once`);
    for (let n = 0; n < 4; n++) io1.emit("late", n);
    await until(() => lost(cluster, 1) === 4, "the late ones reported lost", 5000);
    store.rest.resume();

    // What was kept arrives; what was reported never does: together, everything sent.
    await until(
      () => atB.length + lost(cluster, 0) === sent,
      "delivered + lost = sent",
      10_000,
    );
    const marks = [once(a, "mark"), once(b, "mark")];
    io0.emit("mark");
    io1.emit("mark");
    await Promise.all(marks);
    assert.deepEqual(atB, [...Array(atB.length).keys()], "the first ones, in order");
    assert.deepEqual(local, [...Array(sent).keys()], "every one here, in order");
    assert.equal(atB.length + lost(cluster, 0), sent);
    assert.ok(atB.length >= maxPending - 1 && atB.length <= maxPending);
    assert.deepEqual(atA, [], "expired messages are not published after all");
    assert.equal(lost(cluster, 1), 4);
    for (const error of nodes[0]!.errors.filter((e) => "lost" in e)) {
      assert.match(error.message, /maxPending/);
    }
    assert.match(nodes[1]!.errors.find((e) => "lost" in e)!.message, /unreachable for 300 ms/);
    await until(() => nodes[0]!.adapter().pending === 0, "nothing waits any more");
  });
});

Deno.test("UpstashAdapter across a paused REST endpoint: subscriptions come back and read back what they missed", async () => {
  await withUpstashCluster({ nodes: 3 }, async (cluster) => {
    const { nodes, client, store } = cluster;
    const servers = nodes.map((n) => n.io);
    const clients = await Promise.all([0, 1, 2].map((i) => client(i)));
    await counting(servers, 3);
    const got = clients.map((c) => record(c, "n"));

    await store.rest.pause();
    await sleep(100);
    for (let n = 0; n < 5; n++) servers[n % 3]!.emit("n", n);
    store.rest.resume();
    await until(() => got.every((g) => g.length === 5), "all five everywhere", 10_000);
    for (const g of got) assert.deepEqual([...g].sort(), [0, 1, 2, 3, 4]);
    await store.rest.waitForSubscriptions(3);
    await counting(servers, 3);
    const last = Promise.all(clients.map((c) => times(c, "after", 1)));
    servers[2]!.emit("after");
    await last;
  });
});
