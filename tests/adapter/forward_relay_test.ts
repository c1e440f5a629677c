// WebSocket upgrades without sticky sessions: servers over the in-memory cluster bus behind a
// router that sends polling requests to a random server and every upgrade to a server that does
// not own the session; that server asks the owner, upgrades the client's connection and relays
// its frames through the adapter (Server option forwardRequests).
import assert from "node:assert/strict";
import { io as connectClient } from "socket.io-client";
import {
  checkMessage,
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  MessageType,
} from "../../adapter/mod.ts";
import { type IoServerOptions, Server, type Socket } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { type ClientSocket, InMemoryBus, once, within } from "./_cluster_bus.ts";

interface Cluster {
  servers: Server[];
  bus: InMemoryBus;
  url: string;
  /** Servers left out of routing (partitioned). */
  away: Set<number>;
}

/** Runs `fn` with `n` servers over one bus behind a router, closing everything after. */
async function withRouter(
  n: number,
  fn: (cluster: Cluster) => Promise<void>,
  options: IoServerOptions = {},
): Promise<void> {
  const bus = new InMemoryBus();
  const servers: Server[] = [];
  const away = new Set<number>();
  for (let i = 0; i < n; i++) {
    servers.push(
      new Server({
        upgradeWebSocket,
        pingInterval: 300,
        pingTimeout: 1000,
        forwardRequests: true,
        ...options,
        adapter: bus.adapterClass(`node${i}`, {
          heartbeatInterval: 1000,
          heartbeatTimeout: 3000,
          requestsTimeout: 500,
        }),
      }),
    );
  }
  const pick = (not?: number) => {
    const candidates = servers.map((_, i) => i).filter((i) => i !== not && !away.has(i));
    return servers[candidates[Math.floor(Math.random() * candidates.length)]!]!;
  };
  const listener = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const sid = new URL(request.url).searchParams.get("sid");
    if (request.headers.get("upgrade") !== "websocket" || !sid) return pick().fetch(request);
    // An upgrade always lands on a server that does not own the session.
    return pick(Number(sid.slice(4, sid.indexOf(".")))).fetch(request);
  });
  try {
    await bus.settle();
    const url = `http://127.0.0.1:${listener.addr.port}/`;
    await within(fn({ servers, bus, url, away }), 20_000);
  } finally {
    for (const io of servers) await io.close();
    await listener.shutdown();
  }
  assert.equal(bus.size, 0);
}

function client(url: string, options: Record<string, unknown> = {}): ClientSocket {
  return connectClient(url, {
    forceNew: true,
    reconnection: false,
    transports: ["polling", "websocket"],
    ...options,
  });
}

/** Waits until `done()` (3 s at most; the caller asserts after). */
async function waitFor(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!done() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function transportOf(socket: ClientSocket): string {
  return socket.io.engine.transport.name;
}

async function upgraded(socket: ClientSocket): Promise<void> {
  if (transportOf(socket) !== "websocket") await once(socket.io.engine, "upgrade", 5000);
}

function relayAnswers(bus: InMemoryBus): number[] {
  const opened = new Set(
    bus.published.filter((p) => p.message.type === MessageType.RELAY_OPEN)
      .map((p) => (p.message.data as { requestId: string }).requestId),
  );
  return bus.published.filter((p) =>
    p.message.type === MessageType.FORWARD_RESPONSE &&
    opened.has((p.message.data as { requestId: string }).requestId)
  ).map((p) => (p.message.data as { response: { status: number } }).response.status);
}

Deno.test("upgrade-capable socket.io-client clients upgrade through a non-owner: events, acks, binary, rooms", async () => {
  await withRouter(3, async ({ servers, bus, url }) => {
    const refused: unknown[] = [];
    const transports: string[] = [];
    for (const io of servers) {
      io.engine.on("connection_error", (error) => refused.push(error.message));
      io.on("connection", (socket: Socket) => {
        socket.join(String(socket.handshake.auth.room));
        socket.conn.on("upgrade", () => transports.push(socket.conn.transportName));
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
        socket.on("to", (room: string, ...args: unknown[]) => io.to(room).emit("news", ...args));
        socket.on("bytes", (n: number) => socket.emit("bytes", new Uint8Array(n).fill(7)));
      });
    }
    const clients: ClientSocket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const socket = client(url, { auth: { room: i % 2 ? "odd" : "even" } });
        socket.on("connect_error", (error) => refused.push(`connect_error ${error.message}`));
        clients.push(socket);
      }
      await Promise.all(clients.map((socket) => once(socket, "connect", 5000)));
      await Promise.all(clients.map(upgraded));
      assert.deepEqual(clients.map(transportOf), [
        "websocket",
        "websocket",
        "websocket",
        "websocket",
      ]);
      assert.deepEqual(relayAnswers(bus), [101, 101, 101, 101]);
      // The owners see the upgrade once the client's "5" came through the relay.
      await waitFor(() => transports.length === 4);
      assert.deepEqual(transports, ["websocket", "websocket", "websocket", "websocket"]);
      const received = clients.map(() => [] as unknown[]);
      clients.forEach((socket, i) => socket.on("news", (n: unknown) => received[i]!.push(n)));
      const rounds = 30;
      for (let round = 0; round < rounds; round++) {
        await Promise.all(clients.map(async (socket, i) => {
          const binary = new Uint8Array([round, i, 0, 255]);
          const answer = await socket.timeout(3000).emitWithAck("echo", { round, i, binary });
          assert.equal(answer.round, round);
          assert.deepEqual(new Uint8Array(answer.binary), binary);
        }));
        clients[0]!.emit("to", "even", round);
        clients[1]!.emit("to", "odd", round);
      }
      const bytes = once(clients[2]!, "bytes", 3000);
      clients[2]!.emit("bytes", 100_000);
      const [big] = await bytes as [ArrayBuffer];
      assert.equal(big.byteLength, 100_000);
      assert.equal(new Uint8Array(big)[99_999], 7);
      const expected = Array.from({ length: rounds }, (_, r) => r);
      await waitFor(() => received.every((r) => r.length >= rounds));
      for (const r of received) assert.deepEqual(r, expected);
      assert.deepEqual(refused, []);
      assert.ok(clients.every((socket) => socket.connected && transportOf(socket) === "websocket"));
      const frames = bus.published.filter((p) => p.message.type === MessageType.RELAY_FRAME);
      assert.ok(frames.length > rounds * 4 * 2, `${frames.length} frames relayed`);
    } finally {
      for (const socket of clients) socket.disconnect();
    }
    // The clients' goodbyes close the relays on both sides.
    await waitFor(() => servers.every((io) => io.engine.clientsCount === 0));
    assert.deepEqual(servers.map((io) => io.engine.clientsCount), [0, 0, 0]);
  });
});

Deno.test("an upgrade the owner refuses is answered by the non-owner exactly as the owner answers it", async () => {
  await withRouter(2, async ({ servers: [a, b], bus }) => {
    const open = await a!.fetch(new Request("http://x/socket.io/?EIO=4&transport=polling"));
    const { sid } = JSON.parse((await open.text()).slice(1));
    const upgrade = (query: string) =>
      new Request(`http://x/socket.io/?${query}`, {
        headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13" },
      });
    for (
      const query of [
        `EIO=3&transport=websocket&sid=${sid}`, // protocol mismatch: code 3
        `EIO=4&transport=polling&sid=${sid}`, // not a websocket: code 3
        `EIO=4&transport=websocket&sid=node0.gone`, // the owner has no such session: code 1
      ]
    ) {
      const direct = await a!.fetch(upgrade(query));
      const relayed = await b!.fetch(upgrade(query));
      assert.equal(relayed.status, direct.status, query);
      assert.equal(relayed.status, 400);
      assert.equal(await relayed.text(), await direct.text(), query);
    }
    assert.deepEqual(relayAnswers(bus), [400, 400, 400]);
    // Accepted by the owner, but not a WebSocket handshake here (no key): the relay is closed
    // on both sides and the client gets code 3.
    const relayed = await b!.fetch(upgrade(`EIO=4&transport=websocket&sid=${sid}`));
    assert.equal(relayed.status, 400);
    assert.equal(await relayed.text(), "Bad request");
    await bus.settle();
    assert.equal(relayAnswers(bus).at(-1), 101);
    assert.ok(bus.published.some((p) => p.message.type === MessageType.RELAY_CLOSE));
    assert.equal(a!.engine.clients.get(sid)?.transportName, "polling");
  });
  await withRouter(2, async ({ servers: [a, b] }) => {
    const open = await a!.fetch(new Request("http://x/socket.io/?EIO=4&transport=polling"));
    const { sid, upgrades } = JSON.parse((await open.text()).slice(1));
    assert.deepEqual(upgrades, []);
    const relayed = await b!.fetch(
      new Request(`http://x/socket.io/?EIO=4&transport=websocket&sid=${sid}`, {
        headers: { upgrade: "websocket" },
      }),
    );
    assert.equal(relayed.status, 400);
    assert.equal(await relayed.text(), "Bad request");
  }, { allowUpgrades: false });
});

Deno.test("the owner leaves mid-session: the relayed client sees transport close and reconnects; the relay leaves: the owner's session closes", async () => {
  await withRouter(3, async ({ servers, bus, url, away }) => {
    const reasons: string[] = [];
    for (const io of servers) {
      io.on("connection", (socket: Socket) => {
        socket.on("disconnect", (reason) => reasons.push(reason));
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      });
    }
    const socket = client(url, { reconnection: true, reconnectionDelay: 50 });
    try {
      await once(socket, "connect", 5000);
      await upgraded(socket);
      assert.equal(await socket.timeout(2000).emitWithAck("echo", 1), 1);
      const owner = Number(socket.io.engine.id.slice(4, socket.io.engine.id.indexOf(".")));
      const relayNode = bus.published.findLast((p) => p.message.type === MessageType.RELAY_OPEN)!
        .from;
      // The owner dies: cut off, and its goodbye reaches the relaying server only.
      away.add(owner);
      bus.partition(`node${owner}`);
      const closed = once(socket, "disconnect", 3000);
      bus.inject(
        relayNode,
        encodeMessage({ uid: `node${owner}`, nsp: "/", type: MessageType.ADAPTER_CLOSE }),
      );
      assert.equal((await closed as unknown[])[0], "transport close");
      await once(socket, "connect", 5000);
      await upgraded(socket);
      assert.equal(await socket.timeout(2000).emitWithAck("echo", 2), 2);
      bus.heal(`node${owner}`);
      away.delete(owner);

      // Now the relaying server leaves: the owner's session sees its transport close.
      const sid = socket.io.engine.id;
      const newOwner = Number(sid.slice(4, sid.indexOf(".")));
      const relay = bus.published.findLast((p) => p.message.type === MessageType.RELAY_OPEN)!.from;
      const ownerSession = servers[newOwner]!.engine.clients.get(sid)!;
      assert.equal(ownerSession.transportName, "websocket");
      const sessionClosed = new Promise((resolve) => ownerSession.once("close", resolve));
      bus.inject(
        `node${newOwner}`,
        encodeMessage({ uid: relay, nsp: "/", type: MessageType.ADAPTER_CLOSE }),
      );
      assert.equal(await sessionClosed, "transport close");
      assert.ok(reasons.includes("transport close"));
    } finally {
      socket.disconnect();
    }
  });
});

Deno.test("a relayed frame over maxHttpBufferSize closes the client's socket with 1009, as the owner does directly", async () => {
  await withRouter(2, async ({ servers, bus, url }) => {
    const reasons: string[] = [];
    for (const io of servers) {
      io.on("connection", (socket: Socket) => {
        socket.on("disconnect", (reason) => reasons.push(reason));
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      });
    }
    const socket = client(url);
    try {
      await once(socket, "connect", 5000);
      await upgraded(socket);
      assert.equal(
        await socket.timeout(2000).emitWithAck("echo", "x".repeat(500)),
        "x".repeat(500),
      );
      const closed = once(socket, "disconnect", 3000);
      socket.emit("echo", "x".repeat(300_000));
      const [reason, details] = await closed as [string, { context?: { code?: number } }];
      assert.equal(reason, "transport close");
      assert.equal(details.context?.code, 1009);
      await waitFor(() => reasons.length === 1);
      assert.equal(reasons.length, 1);
      // Refused by the relaying server: the frame did not cross the cluster.
      const relayed = bus.published.filter((p) => p.message.type === MessageType.RELAY_FRAME)
        .map((p) => (p.message.data as { frame: { length: number } }).frame.length);
      assert.ok(Math.max(...relayed) < 10_000, `relayed frames of ${relayed.join(", ")}`);
    } finally {
      socket.disconnect();
    }
  }, { maxHttpBufferSize: 10_000 });
});

Deno.test("checkMessage() accepts RELAY_OPEN/RELAY_FRAME/RELAY_CLOSE and refuses malformed ones; the codec round-trips text and binary frames", () => {
  const messages: ClusterMessage[] = [
    {
      uid: "a",
      nsp: "/",
      type: MessageType.RELAY_OPEN,
      data: {
        requestId: "r1",
        target: "b",
        request: {
          method: "GET",
          url: "http://x/socket.io/?sid=b.1",
          headers: [["upgrade", "websocket"]],
        },
      },
    },
    {
      uid: "a",
      nsp: "/",
      type: MessageType.RELAY_FRAME,
      data: { relayId: "r1", target: "b", seq: 0, frame: "2probe" },
    },
    {
      uid: "b",
      nsp: "/",
      type: MessageType.RELAY_FRAME,
      data: { relayId: "r1", target: "a", seq: 7, frame: new Uint8Array([4, 0, 255, 10, 13]) },
    },
    {
      uid: "b",
      nsp: "/",
      type: MessageType.RELAY_FRAME,
      data: { relayId: "r1", target: "a", seq: 8, frame: "4part", more: true },
    },
    { uid: "b", nsp: "/", type: MessageType.RELAY_CLOSE, data: { relayId: "r1", target: "a" } },
    {
      uid: "b",
      nsp: "/",
      type: MessageType.RELAY_CLOSE,
      data: { relayId: "r1", target: "a", code: 1000, reason: "bye\nnow" },
    },
  ];
  for (const message of messages) {
    const text = encodeMessage(message);
    assert.ok(!text.includes("\n"));
    assert.deepEqual(decodeMessage(text), message);
  }
  const bad = (type: MessageType, data: unknown) => () =>
    checkMessage({ uid: "a", nsp: "/", type, data });
  assert.throws(bad(MessageType.RELAY_FRAME, { relayId: "r1", target: "b", seq: -1, frame: "" }), {
    message: "Cannot read cluster message: data.seq must be a non-negative integer, got -1",
  });
  assert.throws(bad(MessageType.RELAY_FRAME, { relayId: "r1", target: "b", seq: 0, frame: 4 }), {
    message: "Cannot read cluster message: data.frame must be a Uint8Array, got 4",
  });
  assert.throws(
    bad(MessageType.RELAY_FRAME, { relayId: "r1", target: "b", seq: 0, frame: "", more: 1 }),
    { message: "Cannot read cluster message: data.more must be a boolean, got 1" },
  );
  assert.throws(bad(MessageType.RELAY_CLOSE, { relayId: "", target: "b" }), {
    message: 'Cannot read cluster message: data.relayId must be a non-empty string, got ""',
  });
  assert.throws(bad(MessageType.RELAY_CLOSE, { relayId: "r1", target: "b", reason: 3 }), {
    message: "Cannot read cluster message: data.reason must be a string, got 3",
  });
});

Deno.test("a relay with a lost frame closes on both sides with code 1011; frames for an unknown relay are answered with a close", async () => {
  await withRouter(2, async ({ bus, url }) => {
    const socket = client(url);
    try {
      await once(socket, "connect", 5000);
      await upgraded(socket);
      const open = bus.published.findLast((p) => p.message.type === MessageType.RELAY_OPEN)!;
      const relayId = (open.message.data as { requestId: string }).requestId;
      const owner = (open.message.data as { target: string }).target;
      const closed = once(socket, "disconnect", 3000);
      // A frame from the relaying server that skips a sequence number.
      bus.inject(
        owner,
        encodeMessage({
          uid: open.from,
          nsp: "/",
          type: MessageType.RELAY_FRAME,
          data: { relayId, target: owner, seq: 100_000, frame: "4x" },
        }),
      );
      assert.equal((await closed as unknown[])[0], "transport close");
      await bus.settle();
      const close = bus.published.findLast((p) => p.message.type === MessageType.RELAY_CLOSE)!;
      assert.equal(close.from, owner);
      const { reason, ...rest } = close.message.data as { reason: string };
      assert.deepEqual(rest, { relayId, target: open.from, code: 1011 });
      assert.match(reason, /^Relay failed: frame \d+ was lost \(got 100000\)$/);
      bus.takeTypes();
      // A frame nobody knows: its sender is told to close.
      bus.inject(
        owner,
        encodeMessage({
          uid: open.from,
          nsp: "/",
          type: MessageType.RELAY_FRAME,
          data: { relayId: "nope", target: owner, seq: 0, frame: "4x" },
        }),
      );
      await bus.settle();
      assert.deepEqual(bus.takeTypes(owner), [MessageType.RELAY_CLOSE]);
    } finally {
      socket.disconnect();
    }
  });
});

Deno.test("a RELAY_OPEN repeated with the id of an open relay is ignored: the relay carries on", async () => {
  await withRouter(2, async ({ servers, bus, url }) => {
    for (const io of servers) {
      io.on("connection", (s) => s.on("echo", (x: unknown, ack: (x: unknown) => void) => ack(x)));
    }
    const socket = client(url);
    try {
      await once(socket, "connect", 5000);
      await upgraded(socket);
      assert.equal(await socket.timeout(2000).emitWithAck("echo", 1), 1);
      const open = bus.published.findLast((p) => p.message.type === MessageType.RELAY_OPEN)!;
      const owner = (open.message.data as { target: string }).target;
      bus.takeTypes();
      bus.inject(owner, encodeMessage({ ...open.message, uid: open.from }));
      await bus.settle();
      assert.deepEqual(bus.takeTypes(owner), [], "the owner answers nothing");
      assert.equal(await socket.timeout(2000).emitWithAck("echo", 2), 2);
      assert.equal(transportOf(socket), "websocket");
    } finally {
      socket.disconnect();
    }
  });
});
