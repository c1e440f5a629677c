// Polling without sticky sessions: servers over the in-memory cluster bus behind a router that
// sends every HTTP request to a random server; the non-owner of a session forwards the request
// to its owner through the adapter (Server option forwardRequests).
import assert from "node:assert/strict";
import { io as connectClient } from "socket.io-client";
import {
  checkMessage,
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  MessageType,
} from "../../adapter/mod.ts";
import { EngineServer, Server, type Socket } from "../../server/mod.ts";
import { type ClientSocket, InMemoryBus, once, within } from "./_cluster_bus.ts";

async function handshake(fetch: (r: Request) => Promise<Response>): Promise<string> {
  const open = await fetch(new Request("http://x/socket.io/?EIO=4&transport=polling"));
  return JSON.parse((await open.text()).slice(1)).sid;
}

function poll(sid: string, init?: RequestInit): Request {
  return new Request(`http://x/socket.io/?EIO=4&transport=polling&sid=${sid}`, init);
}

/** Runs `fn` with `n` servers over one bus (real timers), closing everything after. */
async function withServers(
  n: number,
  fn: (servers: Server[], bus: InMemoryBus) => Promise<void>,
): Promise<void> {
  const bus = new InMemoryBus();
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      servers.push(
        new Server({
          pingInterval: 300,
          pingTimeout: 1000,
          forwardRequests: true,
          adapter: bus.adapterClass(`node${i}`, {
            heartbeatInterval: 1000,
            heartbeatTimeout: 3000,
            requestsTimeout: 300,
          }),
        }),
      );
    }
    await bus.settle();
    await within(fn(servers, bus), 15_000);
  } finally {
    for (const io of servers) await io.close();
  }
  assert.equal(bus.size, 0);
}

Deno.test("Server with forwardRequests names the adapter's uid in session ids and answers other owners' requests", async () => {
  await withServers(2, async ([a, b], bus) => {
    const sid = await handshake(a!.fetch);
    assert.match(sid, /^node0\.[A-Za-z0-9_-]{20}$/);
    // B does not hold it: the POST and the GET go to A through the bus, the answers come back.
    const post = await b!.fetch(poll(sid, { method: "POST", body: "40" }));
    assert.equal(post.status, 200);
    assert.equal(await post.text(), "ok");
    const get = await b!.fetch(poll(sid));
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("content-type"), "text/plain; charset=UTF-8");
    assert.match(await get.text(), /^40\{"sid":"[^"]+"\}$/);
    const types = bus.takeTypes().filter((t) => t >= MessageType.FORWARD_REQUEST);
    assert.deepEqual(types, [14, 15, 14, 15]);
  });
});

Deno.test("Server with forwardRequests answers code 1 for an unknown owner, its own unknown sid, and a refused upgrade", async () => {
  await withServers(2, async ([a, b]) => {
    for (const sid of ["nobody.abc", "node1.abc", "abc"]) {
      const response = await b!.fetch(poll(sid));
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), { code: 1, message: "Session ID unknown" });
    }
    const sid = await handshake(a!.fetch);
    // No upgradeWebSocket here: the transport is unknown, as without forwarding.
    const upgrade = await b!.fetch(
      new Request(`http://x/socket.io/?EIO=4&transport=websocket&sid=${sid}`, {
        headers: { upgrade: "websocket" },
      }),
    );
    assert.equal(upgrade.status, 400);
    await upgrade.body?.cancel();
  });
});

Deno.test("EngineServer with forward answers code 1 when forward() rejects, and a big POST body round-trips", async () => {
  const errors: unknown[] = [];
  const failing = new EngineServer({
    forward: { self: () => "me", forward: () => Promise.reject(new Error("gone")) },
  });
  failing.on("connection_error", (error) => errors.push(error.context.error));
  try {
    const response = await failing.fetch(
      new Request("http://x/engine.io/?EIO=4&transport=polling&sid=other.abc"),
    );
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { code: 1, message: "Session ID unknown" });
    assert.equal((errors[0] as Error).message, "gone");
  } finally {
    failing.close();
  }
  await withServers(2, async ([a, b]) => {
    const sid = await handshake(a!.fetch);
    const got = new Promise<unknown>((resolve) =>
      a!.engine.clients.get(sid)!.on("message", resolve)
    );
    const big = "4" + "x".repeat(200_000) + "\u00e9";
    const post = await b!.fetch(poll(sid, { method: "POST", body: big }));
    assert.equal(await post.text(), "ok");
    assert.equal(await got, big.slice(1));
  });
});

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

Deno.test("polling-only socket.io-client clients behind a random router: events, acks, rooms, no Session ID unknown", async () => {
  await withServers(3, async (servers, bus) => {
    const refused: unknown[] = [];
    for (const io of servers) {
      io.engine.on("connection_error", (error) => refused.push(error.message));
      io.on("connection", (socket: Socket) => {
        socket.join(String(socket.handshake.auth.room));
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
        socket.on("to", (room: string, ...args: unknown[]) => io.to(room).emit("news", ...args));
      });
    }
    const listener = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => servers[Math.floor(Math.random() * servers.length)]!.fetch(request),
    );
    const clients: ClientSocket[] = [];
    try {
      const url = `http://127.0.0.1:${listener.addr.port}/`;
      for (let i = 0; i < 6; i++) {
        const client = connectClient(url, {
          forceNew: true,
          reconnection: false,
          transports: ["polling"],
          auth: { room: i % 2 ? "odd" : "even" },
        });
        client.on("connect_error", (error) => refused.push(`connect_error ${error.message}`));
        clients.push(client);
      }
      await Promise.all(clients.map((client) => once(client, "connect", 5000)));
      const received = clients.map(() => [] as unknown[]);
      clients.forEach((client, i) => client.on("news", (n: unknown) => received[i]!.push(n)));
      // A second of traffic: parked polls are answered by pings (pingInterval 300) meanwhile.
      const until = Date.now() + 1500;
      let round = 0;
      const latencies: number[] = [];
      while (Date.now() < until) {
        await Promise.all(clients.map(async (client, i) => {
          const start = performance.now();
          const answer = await client.timeout(3000).emitWithAck("echo", [round, i]);
          latencies.push(performance.now() - start);
          assert.deepEqual(answer, [round, i]);
        }));
        clients[0]!.emit("to", "even", round);
        clients[1]!.emit("to", "odd", round);
        round++;
      }
      // Every room broadcast reached every member, in order.
      const expected = Array.from({ length: round }, (_, r) => r);
      const deadline = Date.now() + 3000;
      while (received.some((r) => r.length < round) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const r of received) assert.deepEqual(r, expected);
      assert.deepEqual(refused, []);
      assert.ok(clients.every((client) => client.connected));
      const forwarded = bus.published.filter((p) => p.message.type === MessageType.FORWARD_REQUEST);
      assert.ok(forwarded.length > 0, "some requests were forwarded");
      latencies.sort((x, y) => x - y);
      // deno-lint-ignore no-console -- the numbers are what this test reports
      console.log(
        `in process: ${round} rounds, ${forwarded.length} forwarded requests; ack round trip ` +
          `p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${
            quantile(latencies, 0.99).toFixed(1)
          } ms`,
      );
    } finally {
      for (const client of clients) client.disconnect();
      await listener.shutdown();
    }
  });
});

Deno.test("checkMessage() accepts FORWARD_REQUEST/FORWARD_RESPONSE and refuses malformed ones; the codec carries their bytes", () => {
  const request: ClusterMessage = {
    uid: "a",
    nsp: "/",
    type: MessageType.FORWARD_REQUEST,
    data: {
      requestId: "r1",
      target: "b",
      request: {
        method: "POST",
        url: "http://x/socket.io/?sid=b.1",
        headers: [["content-type", "text/plain;charset=UTF-8"]] as [string, string][],
        body: new Uint8Array([52, 104, 0, 255]),
      },
    },
  };
  assert.deepEqual(decodeMessage(encodeMessage(request)), request);
  const response: ClusterMessage = {
    uid: "b",
    nsp: "/",
    type: MessageType.FORWARD_RESPONSE,
    data: {
      requestId: "r1",
      response: {
        status: 200,
        headers: [] as [string, string][],
        body: new Uint8Array([111, 107]),
      },
    },
  };
  assert.deepEqual(decodeMessage(encodeMessage(response)), response);
  const forward = request.data as unknown as { request: Record<string, unknown> };
  const answer = response.data as unknown as { response: Record<string, unknown> };
  const bad = (data: unknown, type = MessageType.FORWARD_REQUEST) => () =>
    checkMessage({ uid: "a", nsp: "/", type, data });
  assert.throws(bad({ requestId: "r1", target: "", request: forward.request }), {
    message: 'Cannot read cluster message: data.target must be a non-empty string, got ""',
  });
  assert.throws(bad({ ...forward, request: { ...forward.request, headers: [["a"]] } }), {
    message:
      'Cannot read cluster message: data.request.headers must be an array of [name, value] string pairs, got [["a"]]',
  });
  assert.throws(bad({ ...forward, request: { ...forward.request, body: "4hi" } }), {
    message: 'Cannot read cluster message: data.request.body must be a Uint8Array, got "4hi"',
  });
  assert.throws(
    bad({ requestId: "r1", response: { ...answer.response, status: 102 } }, 15),
    {
      message:
        "Cannot read cluster message: data.response.status must be 101 or an HTTP status from 200 to 599, got 102",
    },
  );
});

Deno.test("new Server() with forwardRequests refuses an adapter that is not a cluster adapter", () => {
  assert.throws(() => new Server({ forwardRequests: true }), {
    name: "TypeError",
    message: "Cannot create server: forwardRequests needs a cluster adapter (a ClusterAdapter)",
  });
});

Deno.test("a request forwarded to a server that leaves the cluster is answered with code 1 at once", async () => {
  await withServers(2, async ([a, b], bus) => {
    const sid = await handshake(a!.fetch);
    bus.partition("node0");
    const started = performance.now();
    const pending = b!.fetch(poll(sid));
    await bus.settle();
    bus.inject(
      "node1",
      encodeMessage({ uid: "node0", nsp: "/", type: MessageType.ADAPTER_CLOSE }),
    );
    const response = await pending;
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { code: 1, message: "Session ID unknown" });
    assert.ok(performance.now() - started < 1000, "not after the forward's timeout");
    bus.heal("node0");
  });
});
