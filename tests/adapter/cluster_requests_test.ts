// Three real Servers with ClusterAdapters over an in-process bus, no clients, time on
// FakeTimers: serverSideEmit, heartbeats and server counts, requests that time out, and close().
import assert from "node:assert/strict";
import { type ClusterTimers, encodeMessage, MessageType } from "../../adapter/mod.ts";
import { Server } from "../../server/mod.ts";
import { InMemoryBus, withCluster } from "./_cluster_bus.ts";

const { HEARTBEAT, ADAPTER_CLOSE, FETCH_SOCKETS, SERVER_SIDE_EMIT } = MessageType;

/** The settled state of a promise, without waiting. */
function track<T>(promise: Promise<T>): { state: string; value?: T; error?: Error } {
  const tracked: { state: string; value?: T; error?: Error } = { state: "pending" };
  promise.then(
    (value) => Object.assign(tracked, { state: "resolved", value }),
    (error) => Object.assign(tracked, { state: "rejected", error }),
  );
  return tracked;
}

const counts = (servers: Server[]) =>
  Promise.all(servers.map((io) => io.of("/").adapter.serverCount()));

Deno.test("serverSideEmit() reaches the other servers' listeners, not its own", async () => {
  await withCluster({}, async ({ servers, bus }) => {
    const got: string[] = [];
    servers.forEach((io, i) => {
      io.sockets.on("hello", (...args: unknown[]) => got.push(`${i} ${JSON.stringify(args)}`));
    });
    servers[0]!.serverSideEmit("hello", 1, { text: "a" });
    servers[2]!.of("/").serverSideEmit("hello");
    await bus.settle();
    assert.deepEqual(got.sort(), ["0 []", '1 [1,{"text":"a"}]', "1 []", '2 [1,{"text":"a"}]']);

    // socket.io's io.on is the main namespace's: one list of listeners, run in the order added.
    const order: unknown[] = [];
    servers[1]!.on("order", (n: unknown) => order.push(`io ${n}`));
    servers[1]!.sockets.on("order", (n: unknown) => order.push(`nsp ${n}`));
    servers[1]!.on("order", (n: unknown) => order.push(`io again ${n}`));
    servers[0]!.of("/admin").serverSideEmit("order", "admin only");
    servers[0]!.serverSideEmit("order", 2);
    await bus.settle();
    assert.deepEqual(order, ["io 2", "nsp 2", "io again 2"]);
    assert.equal(servers[1]!.listenerCount("order"), 3);
    servers[1]!.removeAllListeners("order");
    assert.equal(servers[1]!.sockets.listenerCount("order"), 0);

    // The main namespace's own events are no server-side events: refused when sent, dropped
    // when another server sends one anyway.
    assert.throws(() => servers[0]!.serverSideEmit("connection"), /"connection" is a reserved/);
    await assert.rejects(servers[0]!.serverSideEmitWithAck("new_namespace"), /reserved event/);
    const spoofed: unknown[] = [];
    servers[1]!.on("connection", (socket: unknown) => spoofed.push(socket));
    bus.inject(
      "node1",
      encodeMessage({
        uid: "node0",
        nsp: "/",
        type: MessageType.SERVER_SIDE_EMIT,
        data: { packet: ["connection", "not a socket"] },
      }),
    );
    await bus.settle();
    assert.deepEqual(spoofed, []);

    const bytes: unknown[] = [];
    servers[1]!.sockets.on("bin", (data: unknown) => bytes.push(data));
    servers[0]!.serverSideEmit("bin", new Uint8Array([1, 2]));
    await bus.settle();
    assert.deepEqual(bytes, [new Uint8Array([1, 2])]);
  });
});

Deno.test("serverSideEmitWithAck() resolves with one answer per other server", async () => {
  await withCluster({}, async ({ servers, bus }) => {
    servers.forEach((io, i) => {
      io.sockets.on("ping", (n: number, ack: (answer: string) => void) => {
        ack(`pong${i}:${n}`);
        ack("a second answer is ignored");
      });
    });
    bus.takeTypes();
    assert.deepEqual((await servers[1]!.serverSideEmitWithAck("ping", 5)).sort(), [
      "pong0:5",
      "pong2:5",
    ]);
    await bus.settle();
    const { SERVER_SIDE_EMIT_RESPONSE } = MessageType;
    assert.deepEqual(bus.takeTypes(), [
      SERVER_SIDE_EMIT,
      SERVER_SIDE_EMIT_RESPONSE,
      SERVER_SIDE_EMIT_RESPONSE,
    ]);
  });
});

Deno.test("serverCount() counts the servers heard from, and drops one silent for heartbeatTimeout", async () => {
  await withCluster({}, async ({ servers, bus, timers }) => {
    assert.deepEqual(await counts(servers), [3, 3, 3]);
    bus.takeTypes();

    timers.tick(5000);
    await bus.settle();
    assert.deepEqual(bus.takeTypes(), [HEARTBEAT, HEARTBEAT, HEARTBEAT]);

    // node2 heard last at 5000; silent from now on.
    bus.partition("node2");
    timers.tick(10_000);
    await bus.settle();
    assert.deepEqual(await counts(servers), [3, 3, 3], "not yet: silent for exactly 10000 ms");
    timers.tick(1);
    assert.deepEqual(await counts(servers), [2, 2, 1]);

    // Its next heartbeat brings it back, and theirs bring them back to it.
    bus.heal("node2");
    timers.tick(4999);
    await bus.settle();
    assert.deepEqual(await counts(servers), [3, 3, 3]);
  });
});

Deno.test("ClusterAdapter beats only after a quiet heartbeatInterval", async () => {
  await withCluster({}, async ({ servers, bus, timers }) => {
    bus.takeTypes();
    timers.tick(3000);
    servers[0]!.emit("news");
    await bus.settle();
    assert.deepEqual(bus.takeTypes("node0"), [MessageType.BROADCAST]);
    timers.tick(2000);
    await bus.settle();
    assert.deepEqual(bus.takeTypes("node0"), [], "node0 published 2000 ms ago");
    timers.tick(2999);
    assert.deepEqual(bus.takeTypes("node0"), []);
    timers.tick(1);
    assert.deepEqual(bus.takeTypes("node0"), [HEARTBEAT]);
  });
});

Deno.test("close() says goodbye: the others stop counting the server at once", async () => {
  await withCluster({}, async ({ servers, bus }) => {
    bus.takeTypes();
    await servers[2]!.close();
    assert.deepEqual(bus.takeTypes(), [ADAPTER_CLOSE]);
    await bus.settle();
    assert.deepEqual(await counts(servers.slice(0, 2)), [2, 2]);
  });
});

Deno.test("fetchSockets() rejects with a clear error when a server does not answer in time", async () => {
  await withCluster({}, async ({ servers, bus, timers }) => {
    bus.partition("node2");
    const fetching = track(servers[0]!.fetchSockets());
    await bus.settle();
    timers.tick(4999);
    await bus.settle();
    assert.equal(fetching.state, "pending");
    timers.tick(1);
    await bus.settle();
    assert.equal(fetching.state, "rejected");
    assert.equal(
      fetching.error?.message,
      "Cannot fetch sockets: timeout reached after 5000 ms, missing responses from 1 of 2 servers (node2)",
    );

    // The timeout flag sets the wait.
    const quick = track(servers[1]!.timeout(100).fetchSockets());
    await bus.settle();
    timers.tick(100);
    await bus.settle();
    assert.match(quick.error?.message ?? "", /^Cannot fetch sockets: timeout reached after 100 ms/);
  });
});

Deno.test("serverSideEmit() with an ack reports a timeout with the answers gathered so far", async () => {
  await withCluster({}, async ({ servers, bus, timers }) => {
    servers.forEach((io, i) =>
      io.sockets.on("ping", (ack: (a: string) => void) => ack(`pong${i}`))
    );
    bus.partition("node2");
    const results: unknown[][] = [];
    servers[0]!.serverSideEmit("ping", (error: Error | null, responses: unknown[]) => {
      results.push([error?.message, responses, (error as { responses?: unknown })?.responses]);
    });
    await bus.settle();
    timers.tick(5000);
    assert.deepEqual(results, [[
      "Cannot emit to other servers: timeout reached after 5000 ms, missing responses from 1 of 2 servers (node2)",
      ["pong1"],
      ["pong1"],
    ]]);
    await assert.rejects(
      async () => {
        const answer = servers[1]!.serverSideEmitWithAck("ping");
        await bus.settle();
        timers.tick(5000);
        await answer;
      },
      { message: /missing responses from 1 of 2 servers \(node2\)$/ },
    );
  });
});

Deno.test("a request stops waiting for a server that dies or closes while it is pending", async () => {
  await withCluster({ adapter: { requestsTimeout: 60_000 } }, async ({ servers, bus, timers }) => {
    servers.forEach((io, i) =>
      io.sockets.on("ping", (ack: (a: string) => void) => ack(`pong${i}`))
    );

    // node2 goes silent: dropped after heartbeatTimeout, long before requestsTimeout.
    bus.partition("node2");
    const fetching = track(servers[0]!.fetchSockets());
    const asking = track(servers[0]!.serverSideEmitWithAck("ping"));
    await bus.settle();
    timers.tick(10_000);
    await bus.settle();
    assert.equal(fetching.state, "pending");
    timers.tick(1);
    await bus.settle();
    assert.deepEqual(fetching, { state: "resolved", value: [] });
    assert.deepEqual(asking, { state: "resolved", value: ["pong1"] });

    // node1 closes: its goodbye ends the wait at once.
    const ids: string[] = [];
    servers[1]!.sockets.on("slow", (ack: (a: string) => void) => ids.push(String(ack)));
    const slow = track(servers[0]!.serverSideEmitWithAck("slow"));
    await bus.settle();
    assert.equal(slow.state, "pending");
    await servers[1]!.close();
    await bus.settle();
    assert.deepEqual(slow, { state: "resolved", value: [] });
  });
});

Deno.test("close() ends pending requests with an error and leaves no timer", async () => {
  await withCluster({}, async ({ servers, bus, timers }) => {
    bus.partition("node2");
    const fetching = track(servers[0]!.fetchSockets());
    const asking = track(servers[0]!.serverSideEmitWithAck("ping"));
    await bus.settle();
    assert.ok(timers.pending > 0);
    await servers[0]!.close();
    await bus.settle();
    assert.equal(fetching.error?.message, "Cannot fetch sockets: the adapter closed");
    assert.equal(asking.error?.message, "Cannot emit to other servers: the adapter closed");
    // withCluster checks that no timer is left once every server closed.
    bus.takeTypes();
    servers[0]!.emit("after close");
    servers[0]!.serverSideEmit("after close");
    assert.deepEqual(bus.takeTypes(), [], "a closed adapter publishes nothing");
    assert.deepEqual(await servers[0]!.serverSideEmitWithAck("ping"), []);
  });
});

Deno.test("requests go out as FETCH_SOCKETS and SERVER_SIDE_EMIT with a request id", async () => {
  await withCluster({ nodes: 2 }, async ({ servers, bus }) => {
    bus.takeTypes();
    await servers[0]!.in("room").fetchSockets();
    const [request] = bus.published;
    assert.equal(request?.message.type, FETCH_SOCKETS);
    assert.match(
      JSON.stringify(request?.message.data),
      /^\{"opts":\{"rooms":\["room"\],"except":\[\],"flags":\{\}\},"requestId":"[0-9a-f]{16}"\}$/,
    );
    assert.deepEqual(bus.takeTypes(), [FETCH_SOCKETS, MessageType.FETCH_SOCKETS_RESPONSE]);
    servers[1]!.sockets.on("e", (ack: (n: number) => void) => ack(1));
    await servers[0]!.serverSideEmitWithAck("e");
    assert.deepEqual(bus.takeTypes(), [SERVER_SIDE_EMIT, MessageType.SERVER_SIDE_EMIT_RESPONSE]);
  });
});

Deno.test("onMessage() drops a malformed message, or one whose handling throws, with an error event", async () => {
  await withCluster({ nodes: 2 }, async ({ servers, bus }) => {
    const errors: string[] = [];
    servers[0]!.of("/").adapter.on(
      "error",
      (error) => errors.push(`${error.name}: ${error.message}`),
    );
    bus.inject("node0", "not json");
    bus.inject("node0", '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/"}}}');
    bus.inject("node0", '{"uid":"x","nsp":"/","type":99}');
    servers[0]!.sockets.on("boom", () => {
      throw new Error("listener failed");
    });
    servers[1]!.serverSideEmit("boom");
    await bus.settle();
    assert.deepEqual(errors, [
      'SyntaxError: Cannot read cluster message: not JSON: "not json"',
      "SyntaxError: Cannot read cluster message: data.opts must be an object, got undefined",
      "SyntaxError: Cannot read cluster message: type must be a message type, got 99",
      "Error: listener failed",
    ]);
    assert.deepEqual(await counts(servers), [2, 2], "nothing else changed");
  });
});

Deno.test("broadcast() publishes its rooms, exceptions and flags; the local flag publishes nothing", async () => {
  await withCluster({ nodes: 2 }, async ({ servers, bus }) => {
    bus.takeTypes();
    servers[0]!.to(["a", "b"]).except("c").volatile.compress(false).emit("news", 1);
    servers[0]!.local.emit("here only");
    servers[0]!.local.socketsJoin("x");
    servers[0]!.local.disconnectSockets();
    await bus.settle();
    assert.deepEqual(bus.published.map((p) => p.message), [{
      uid: "node0",
      nsp: "/",
      type: MessageType.BROADCAST,
      data: {
        packet: { type: 2, nsp: "/", data: ["news", 1] },
        opts: { rooms: ["a", "b"], except: ["c"], flags: { volatile: true, compress: false } },
      },
    }]);
  });
});

Deno.test("broadcastWithAck() reports the client count without a server that does not answer", async () => {
  await withCluster({}, async ({ servers, bus, timers }) => {
    bus.partition("node2");
    const counts: number[] = [];
    servers[0]!.of("/").adapter.broadcastWithAck(
      { type: 2, nsp: "/", data: ["q"] },
      { rooms: new Set() },
      (count) => counts.push(count),
      () => {},
    );
    await bus.settle();
    timers.tick(4999);
    assert.deepEqual(counts, [], "node1 answered 0, node2 not yet");
    timers.tick(1);
    assert.deepEqual(counts, [0]);
  });
});

Deno.test("new Server() refuses cluster adapter options out of range", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ heartbeatInterval: 0 }, "heartbeatInterval must be a positive number, current value is 0"],
    [
      { heartbeatInterval: 5000, heartbeatTimeout: 5000 },
      "heartbeatTimeout must exceed heartbeatInterval (5000), current value is 5000",
    ],
    [
      { requestsTimeout: Infinity },
      "requestsTimeout must be a positive number, current value is Infinity",
    ],
    [{ uid: "" }, 'uid must be a non-empty string other than "emitter", current value is ""'],
  ];
  for (const [options, message] of cases) {
    const adapter = new InMemoryBus().adapterClass("node0", options);
    assert.throws(() => new Server({ adapter }), {
      name: "RangeError",
      message: `Cannot create ClusterAdapter: ${message}`,
    });
  }
  const timers = { setTimeout: 1 } as unknown as ClusterTimers;
  assert.throws(
    () => new Server({ adapter: new InMemoryBus().adapterClass("n", { timers }) }),
    TypeError,
  );
});
