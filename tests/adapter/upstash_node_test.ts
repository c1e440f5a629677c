// A mixed fleet on one Redis: socket.io 4.8.4 with @socket.io/redis-adapter 8.3.0 on Node
// (_node_redis_server.mjs, ioredis straight to redis-server) and our Server with
// createUpstashNodeAdapter over the Upstash-REST fixture in front of the same redis-server,
// official socket.io-client 4.8.4 clients on both. Whatever one side does reaches the other.
import assert from "node:assert/strict";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import {
  createUpstashNodeAdapter,
  type UpstashNodeAdapter,
  type UpstashNodeAdapterOptions,
} from "../../adapter/upstash_node.ts";
import { Server } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { startServer } from "../_process.ts";
import { startUpstashStore, type UpstashStore } from "../fixtures/mod.ts";
import { all, once, within } from "./_cluster_bus.ts";

const NODE_SERVER = new URL("./_node_redis_server.mjs", import.meta.url).pathname;
const KEY = "fleet";
/** The bound on each test, generous because the whole suite runs in parallel. */
const TEST_MS = 20_000;

type Side = "edge" | "node";

interface Fleet {
  /** redis-server and the REST endpoint in front of it. */
  store: UpstashStore;
  /** Our server. */
  edge: Server;
  /** Runs an action on the Node server (see _node_redis_server.mjs) and returns its result. */
  node(action: string, params?: Record<string, unknown>): Promise<unknown>;
  /**
   * Connects a client named `name` to a side (and namespace, `/` by default), in `room`,
   * logging every event it receives.
   */
  client(side: Side, name: string, room?: string, nsp?: string): Promise<ClientSocket>;
  /** What each client received so far, as "event arg…" (JSON), by name. */
  log: Record<string, string[]>;
}

/** Binary as the control channel of the Node server carries it. */
const bin = (bytes: number[]) => ({ $bin: btoa(String.fromCharCode(...bytes)) });

// Binary arrives as a Buffer in socket.io-client on Deno; shown as its bytes in the logs.
function show(value: unknown): string {
  const plain = (v: unknown): unknown => {
    if (v instanceof ArrayBuffer) return { bytes: [...new Uint8Array(v)] };
    if (ArrayBuffer.isView(v)) {
      return { bytes: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
    }
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
  };
  return JSON.stringify(plain(value));
}

interface FleetOptions {
  /** Options of our adapter, over the defaults below. */
  edge?: Partial<UpstashNodeAdapterOptions>;
  /** Environment of the Node server, over the defaults below. */
  node?: Record<string, string>;
}

async function withFleet(
  options: FleetOptions,
  fn: (fleet: Fleet) => Promise<void>,
): Promise<void> {
  const store = await startUpstashStore();
  const clients: ClientSocket[] = [];
  let node: Awaited<ReturnType<typeof startServer>> | undefined;
  let edge: Server | undefined;
  let listener: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    node = await startServer("node", [NODE_SERVER], {
      REDIS_PORT: String(store.redis.port),
      KEY,
      REQUESTS_TIMEOUT: "3000",
      ...options.node,
    });
    const nodeUrl = node.url;
    edge = new Server({
      upgradeWebSocket,
      adapter: createUpstashNodeAdapter({
        ...store.credentials,
        key: KEY,
        requestsTimeout: 3000,
        ...options.edge,
      }),
    });
    listener = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, edge.fetch);
    const edgeUrl = `http://127.0.0.1:${listener.addr.port}`;
    const control = async (action: string, params: Record<string, unknown> = {}) => {
      const response = await fetch(`${nodeUrl}/control`, {
        method: "POST",
        body: JSON.stringify({ action, ...params }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`node ${action}: ${body.error}`);
      return body.result;
    };
    const log: Record<string, string[]> = {};
    const fleet: Fleet = {
      store,
      edge,
      node: control,
      log,
      async client(side, name, room, nsp = "/") {
        const socket = connectClient(`${side === "edge" ? edgeUrl : nodeUrl}${nsp}`, {
          forceNew: true,
          reconnection: false,
          transports: ["websocket"],
          auth: { name, room },
        });
        clients.push(socket);
        log[name] = [];
        socket.onAny((event: string, ...args: unknown[]) => {
          log[name]!.push([event, ...args.map(show)].join(" "));
        });
        socket.on("ask", (question: string, ack: (answer: string) => void) => {
          ack(`${name}: ${question}`);
        });
        await once(socket, "connect", 5000);
        return socket;
      },
    };
    await within(fn(fleet), TEST_MS);
  } finally {
    for (const socket of clients) socket.disconnect();
    await edge?.close();
    await listener?.shutdown();
    await node?.stop();
    await store.stop();
  }
}

// The edge side connects on first use; once both sides count two servers, both are subscribed.
async function bothCounted(fleet: Fleet, nsp = "/"): Promise<void> {
  const adapter = fleet.edge.of(nsp).adapter as UpstashNodeAdapter;
  for (let i = 0; i < 100; i++) {
    const counts = [await adapter.serverCount(), await fleet.node("serverCount", { nsp })];
    if (counts[0] === 2 && counts[1] === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the two servers never counted each other");
}

/** Waits until each of `clients` received one more `mark`, then returns the logs sorted. */
async function untilMarked(
  fleet: Fleet,
  clients: ClientSocket[],
  send: () => void | Promise<unknown>,
): Promise<Record<string, string[]>> {
  const marks = all(clients.map((client) => once(client, "mark", 5000)));
  await send();
  await marks;
  return Object.fromEntries(
    Object.entries(fleet.log).map(([name, got]) => [name, got.filter((e) => e !== "mark").sort()]),
  );
}

/** e1 and n1 in red, e2 and n2 in blue. */
async function populate(fleet: Fleet) {
  const e1 = await fleet.client("edge", "e1", "red");
  const e2 = await fleet.client("edge", "e2", "blue");
  const n1 = await fleet.client("node", "n1", "red");
  const n2 = await fleet.client("node", "n2", "blue");
  await bothCounted(fleet);
  return { e1, e2, n1, n2, everyone: [e1, e2, n1, n2] };
}

function edgeSetup(edge: Server, nsps = ["/"]): void {
  for (const nsp of nsps) {
    edge.of(nsp).on("connection", (socket) => {
      const { name, room } = socket.handshake.auth as { name: string; room?: string };
      socket.data = { name, side: "edge" };
      if (room) socket.join(room);
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("UpstashNodeAdapter and the Node redis adapter count each other: serverCount() is 2 on both sides", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    await bothCounted(fleet);
    assert.equal(await fleet.edge.of("/").adapter.serverCount(), 2);
    assert.equal(await fleet.node("serverCount"), 2);
  });
});

Deno.test("broadcasts from edgeio reach Node clients: to all, a room, all but a room, one socket, binary", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    const { e1, n1, everyone } = await populate(fleet);
    const { edge } = fleet;
    const logs = await untilMarked(fleet, everyone, () => {
      edge.emit("all", 1, new Uint8Array([0, 1, 254, 255]), { nested: [new Uint8Array([7])] });
      edge.to("red").emit("red", "r");
      edge.except("red").emit("not-red", "b");
      edge.to(n1.id!).emit("to-n1", { text: "hi" });
      edge.to("red").except(e1.id!).emit("red-but-e1");
      edge.to(["red", "blue"]).emit("two-rooms");
      edge.local.emit("local-only");
      edge.emit("mark");
    });
    const all = 'all 1 {"bytes":[0,1,254,255]} {"nested":[{"bytes":[7]}]}';
    assert.deepEqual(logs, {
      e1: [all, "local-only", 'red "r"', "two-rooms"],
      e2: [all, "local-only", 'not-red "b"', "two-rooms"],
      n1: [all, 'red "r"', "red-but-e1", 'to-n1 {"text":"hi"}', "two-rooms"],
      n2: [all, 'not-red "b"', "two-rooms"],
    });
  });
});

Deno.test("broadcasts from Node reach edgeio clients: to all, a room, all but a room, one socket, binary", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    const { e1, n1, everyone } = await populate(fleet);
    const logs = await untilMarked(fleet, everyone, async () => {
      await fleet.node("emit", {
        event: "all",
        args: [1, bin([0, 1, 254, 255]), { nested: [bin([7])] }],
      });
      await fleet.node("emit", { event: "red", to: "red", args: ["r"] });
      await fleet.node("emit", { event: "not-red", except: "red", args: ["b"] });
      await fleet.node("emit", { event: "to-e1", to: e1.id, args: [{ text: "hi" }] });
      await fleet.node("emit", { event: "red-but-n1", to: "red", except: n1.id });
      await fleet.node("emit", { event: "two-rooms", to: ["red", "blue"] });
      await fleet.node("emit", { event: "mark" });
    });
    const all = 'all 1 {"bytes":[0,1,254,255]} {"nested":[{"bytes":[7]}]}';
    assert.deepEqual(logs, {
      e1: [all, 'red "r"', "red-but-n1", 'to-e1 {"text":"hi"}', "two-rooms"],
      e2: [all, 'not-red "b"', "two-rooms"],
      n1: [all, 'red "r"', "two-rooms"],
      n2: [all, 'not-red "b"', "two-rooms"],
    });
  });
});

Deno.test("socket.broadcast.emit() on either side reaches every other client of the fleet", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    fleet.edge.on("connection", (socket) => {
      socket.on("shout", (text: string) => {
        socket.broadcast.emit("heard", text);
        fleet.edge.emit("mark");
      });
    });
    const { e1, n2, everyone } = await populate(fleet);
    assert.deepEqual(await untilMarked(fleet, everyone, () => void e1.emit("shout", "e1")), {
      e1: [],
      e2: ['heard "e1"'],
      n1: ['heard "e1"'],
      n2: ['heard "e1"'],
    });
    assert.deepEqual(await untilMarked(fleet, everyone, () => void n2.emit("shout", "n2")), {
      e1: ['heard "n2"'],
      e2: ['heard "e1"', 'heard "n2"'],
      n1: ['heard "e1"', 'heard "n2"'],
      n2: ['heard "e1"'],
    });
  });
});

Deno.test("broadcasts to a room whose name holds commas and hashes cross both ways", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    const e = await fleet.client("edge", "e", "a,b#c");
    const n = await fleet.client("node", "n", "a,b#c");
    await bothCounted(fleet);
    const logs = await untilMarked(fleet, [e, n], async () => {
      fleet.edge.to("a,b#c").emit("from-edge", "x,y");
      await fleet.node("emit", { event: "from-node", to: "a,b#c", args: ["z"] });
      fleet.edge.emit("mark");
    });
    assert.deepEqual(logs, {
      e: ['from-edge "x,y"', 'from-node "z"'],
      n: ['from-edge "x,y"', 'from-node "z"'],
    });
  });
});

Deno.test("serverSideEmit() crosses both ways, with and without acks, binary included", async () => {
  await withFleet({}, async (fleet) => {
    const { edge } = fleet;
    const heard: unknown[][] = [];
    edge.sockets.on("announce", (...args: unknown[]) => heard.push(args));
    edge.sockets.on(
      "question",
      (text: string, ack: (answer: string) => void) => ack(`edge heard ${text}`),
    );
    await bothCounted(fleet);

    // Node sends serverSideEmit as JSON: a Buffer becomes its toJSON() form, as between Node
    // servers. Ours go as MessagePack, so Node gets a Buffer back.
    const announced = once(edge.sockets, "announce", 5000);
    await fleet.node("serverSideEmit", { event: "announce", args: ["from node", bin([1, 2])] });
    await announced;
    assert.deepEqual(heard, [["from node", { type: "Buffer", data: [1, 2] }]]);

    edge.serverSideEmit("announce", "from edge", new Uint8Array([3, 4]));
    let nodeHeard: unknown = [];
    for (let i = 0; i < 100 && (nodeHeard as unknown[]).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      nodeHeard = await fleet.node("heard");
    }
    assert.deepEqual(nodeHeard, [["/", "announce", "from edge", bin([3, 4])]]);

    assert.deepEqual(await edge.serverSideEmitWithAck("question", "q1"), ["node heard q1"]);
    assert.deepEqual(
      await fleet.node("serverSideEmitWithAck", { event: "question", args: ["q2"] }),
      ["edge heard q2"],
    );
  });
});

Deno.test("fetchSockets() on either side lists the sockets of both, with rooms and data; Node's allRooms() sees ours", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    const { e1, e2, n1, n2 } = await populate(fleet);
    const expected = [
      { id: e1.id, rooms: [e1.id!, "red"].sort(), data: { name: "e1", side: "edge" } },
      { id: e2.id, rooms: ["blue", e2.id!].sort(), data: { name: "e2", side: "edge" } },
      { id: n1.id, rooms: [n1.id!, "red"].sort(), data: { name: "n1", side: "node" } },
      { id: n2.id, rooms: ["blue", n2.id!].sort(), data: { name: "n2", side: "node" } },
    ];
    const fromEdge = (await fleet.edge.fetchSockets())
      .map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }))
      .sort((a, b) =>
        (a.data as { name: string }).name.localeCompare((b.data as { name: string }).name)
      );
    assert.deepEqual(fromEdge, expected);
    assert.deepEqual(await fleet.node("fetchSockets"), expected);

    assert.deepEqual(
      await fleet.node("allRooms"),
      [e1.id!, e2.id!, n1.id!, n2.id!, "blue", "red"].sort(),
    );

    const redFromEdge = await fleet.edge.in("red").fetchSockets();
    assert.deepEqual(redFromEdge.map((s) => s.id).sort(), [e1.id, n1.id].sort());
    assert.deepEqual(
      ((await fleet.node("fetchSockets", { to: "blue" })) as { id: string }[]).map((s) => s.id),
      [e2.id, n2.id],
    );

    // A remote socket found on one side takes an emit from there.
    const remote = redFromEdge.find((s) => s.id === n1.id)!;
    const got = once(n1, "direct", 5000);
    remote.emit("direct", "to n1");
    assert.deepEqual(await got, ["to n1"]);
    const back = once(e2, "direct", 5000);
    await fleet.node("remoteEmit", { id: e2.id, event: "direct", args: ["to e2"] });
    assert.deepEqual(await back, ["to e2"]);
  });
});

Deno.test("socketsJoin(), socketsLeave() and disconnectSockets() reach the sockets of the other side", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    const { e1, e2, n1, n2 } = await populate(fleet);
    const { edge } = fleet;
    const edgeRooms = async () =>
      Object.fromEntries(
        (await edge.local.fetchSockets()).map((s) => [
          (s.data as { name: string }).name,
          [...s.rooms].sort(),
        ]),
      );
    const eventually = async <T>(read: () => Promise<T>, expected: T) => {
      let last: T | undefined;
      for (let i = 0; i < 100; i++) {
        last = await read();
        try {
          assert.deepEqual(last, expected);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      assert.deepEqual(last, expected);
    };

    edge.in("red").socketsJoin("green");
    await eventually(() => fleet.node("localRooms"), {
      n1: [n1.id!, "green", "red"].sort(),
      n2: [n2.id!, "blue"].sort(),
    });
    assert.deepEqual(await edgeRooms(), {
      e1: [e1.id!, "green", "red"].sort(),
      e2: [e2.id!, "blue"].sort(),
    });

    await fleet.node("socketsJoin", { to: "blue", rooms: ["teal"] });
    await eventually(edgeRooms, {
      e1: [e1.id!, "green", "red"].sort(),
      e2: [e2.id!, "blue", "teal"].sort(),
    });
    await fleet.node("socketsLeave", { rooms: ["green"] });
    await eventually(edgeRooms, {
      e1: [e1.id!, "red"].sort(),
      e2: [e2.id!, "blue", "teal"].sort(),
    });
    edge.in("teal").socketsLeave("blue");
    await eventually(() => fleet.node("localRooms"), {
      n1: [n1.id!, "red"].sort(),
      n2: [n2.id!, "teal"].sort(),
    });
    assert.deepEqual(await edgeRooms(), {
      e1: [e1.id!, "red"].sort(),
      e2: [e2.id!, "teal"].sort(),
    });

    const n1Gone = once(n1, "disconnect", 5000);
    edge.in("red").except(e1.id!).disconnectSockets();
    assert.equal((await n1Gone)[0], "io server disconnect");
    assert.equal(e1.connected, true);

    const gone = all([once(e2, "disconnect", 5000), once(n2, "disconnect", 5000)]);
    await fleet.node("disconnectSockets", { to: "teal", close: false });
    assert.deepEqual((await gone).map(([reason]) => reason), [
      "io server disconnect",
      "io server disconnect",
    ]);
    assert.deepEqual(Object.keys(await edgeRooms()), ["e1"]);
  });
});

Deno.test("broadcasts with acks from either side gather every client's answer", async () => {
  await withFleet({}, async (fleet) => {
    edgeSetup(fleet.edge);
    await populate(fleet);
    const fromEdge = await fleet.edge.timeout(3000).emitWithAck("ask", "q1");
    assert.deepEqual((fromEdge as string[]).sort(), ["e1: q1", "e2: q1", "n1: q1", "n2: q1"]);
    const fromNode = await fleet.node("emitWithAck", { event: "ask", args: ["q2"], timeout: 3000 });
    assert.deepEqual((fromNode as string[]).sort(), ["e1: q2", "e2: q2", "n1: q2", "n2: q2"]);
    const red = await fleet.edge.to("red").timeout(3000).emitWithAck("ask", "q3");
    assert.deepEqual((red as string[]).sort(), ["e1: q3", "n1: q3"]);
  });
});

Deno.test("namespaces stay apart: broadcasts and serverSideEmit of /admin reach /admin only", async () => {
  await withFleet({}, async (fleet) => {
    const { edge } = fleet;
    edgeSetup(edge, ["/", "/admin"]);
    const heard: unknown[][] = [];
    edge.of("/admin").on("announce", (...args: unknown[]) => heard.push(args));
    const e = await fleet.client("edge", "e", undefined, "/");
    const ea = await fleet.client("edge", "ea", undefined, "/admin");
    const n = await fleet.client("node", "n", undefined, "/");
    const na = await fleet.client("node", "na", undefined, "/admin");
    await bothCounted(fleet, "/");
    await bothCounted(fleet, "/admin");
    const logs = await untilMarked(fleet, [e, ea, n, na], async () => {
      edge.of("/admin").emit("admin", "from edge");
      await fleet.node("emit", { nsp: "/admin", event: "admin", args: ["from node"] });
      edge.emit("root", "from edge");
      edge.of("/admin").emit("mark");
      edge.emit("mark");
    });
    assert.deepEqual(logs, {
      e: ['root "from edge"'],
      ea: ['admin "from edge"', 'admin "from node"'],
      n: ['root "from edge"'],
      na: ['admin "from edge"', 'admin "from node"'],
    });

    const announced = once(edge.of("/admin"), "announce", 5000);
    await fleet.node("serverSideEmit", { nsp: "/admin", event: "announce", args: ["a"] });
    await announced;
    assert.deepEqual(heard, [["a"]]);
    edge.of("/admin").serverSideEmit("announce", "b");
    let nodeHeard: unknown = [];
    for (let i = 0; i < 100 && (nodeHeard as unknown[]).length === 0; i++) {
      await sleep(20);
      nodeHeard = await fleet.node("heard");
    }
    assert.deepEqual(nodeHeard, [["/admin", "announce", "b"]]);
  });
});

Deno.test("UpstashNodeAdapter opens nothing before its first use (unless lazy: false), and close() ends its streams", async () => {
  await withFleet({}, async (fleet) => {
    const { store, edge } = fleet;
    edgeSetup(edge);
    await sleep(100);
    assert.equal(store.rest.subscriptions, 0);
    assert.deepEqual([...store.rest.requests.keys()], []);
    assert.equal(await fleet.node("serverCount"), 1);

    await fleet.client("edge", "e");
    await store.rest.waitForSubscriptions(2);
    await bothCounted(fleet);
    assert.deepEqual(
      [store.rest.requests.get("/psubscribe"), store.rest.requests.get("/subscribe")],
      [1, 1],
    );

    await edge.close();
    await store.rest.waitForSubscriptions(0);
    assert.equal(await fleet.node("serverCount"), 1);

    // With lazy: false, init() subscribes: a serverSideEmit arrives before any client connects.
    const eager = new Server({
      adapter: createUpstashNodeAdapter({ ...store.credentials, key: KEY, lazy: false }),
    });
    try {
      for (let i = 0; i < 100 && await fleet.node("serverCount") !== 2; i++) await sleep(20);
      const heard = once(eager.sockets, "announce", 5000);
      await fleet.node("serverSideEmit", { event: "announce", args: ["early"] });
      assert.deepEqual(await heard, ["early"]);
    } finally {
      await eager.close();
    }
    await store.rest.waitForSubscriptions(0);
  });
});

Deno.test("UpstashNodeAdapter pings a quiet request channel so its streams stay open; Node ignores the pings", async () => {
  await withFleet({ edge: { heartbeatInterval: 100 } }, async (fleet) => {
    const { store, edge } = fleet;
    edgeSetup(edge);
    const e = await fleet.client("edge", "e");
    await bothCounted(fleet);
    const published = () =>
      (store.rest.requests.get("/") ?? 0) + (store.rest.requests.get("/pipeline") ?? 0);
    const before = published();
    // Quiet for eight intervals: without pings the streams, idle for three, would be reopened.
    await sleep(800);
    assert.deepEqual(
      [store.rest.requests.get("/psubscribe"), store.rest.requests.get("/subscribe")],
      [1, 1],
    );
    assert.ok(published() - before >= 5, `${published() - before} pings`);
    const got = once(e, "after", 5000);
    await fleet.node("emit", { event: "after", args: [1] });
    assert.deepEqual(await got, [1]);
    assert.equal(await fleet.node("serverCount"), 2);
  });
});

Deno.test("answers on each server's own response channel (publishOnSpecificResponseChannel) arrive both ways", async () => {
  const options = { edge: { publishOnSpecificResponseChannel: true }, node: { SPECIFIC: "1" } };
  await withFleet(options, async (fleet) => {
    const { edge } = fleet;
    edgeSetup(edge);
    edge.sockets.on(
      "question",
      (text: string, ack: (answer: string) => void) => ack(`edge heard ${text}`),
    );
    await populate(fleet);
    assert.equal((await edge.fetchSockets()).length, 4);
    assert.equal(((await fleet.node("fetchSockets")) as unknown[]).length, 4);
    const fromEdge = await edge.timeout(3000).emitWithAck("ask", "q1");
    assert.deepEqual((fromEdge as string[]).sort(), ["e1: q1", "e2: q1", "n1: q1", "n2: q1"]);
    const fromNode = await fleet.node("emitWithAck", { event: "ask", args: ["q2"], timeout: 3000 });
    assert.deepEqual((fromNode as string[]).sort(), ["e1: q2", "e2: q2", "n1: q2", "n2: q2"]);
    assert.deepEqual(await edge.serverSideEmitWithAck("question", "q3"), ["node heard q3"]);
    assert.deepEqual(
      await fleet.node("serverSideEmitWithAck", { event: "question", args: ["q4"] }),
      ["edge heard q4"],
    );
  });
});

Deno.test("serverSideEmitWithAck() fails after requestsTimeout on either side when the other never answers", async () => {
  const options = { edge: { requestsTimeout: 300 }, node: { REQUESTS_TIMEOUT: "300" } };
  await withFleet(options, async (fleet) => {
    const { edge } = fleet;
    edge.sockets.on("silent", () => {});
    await bothCounted(fleet);
    const error = await edge.serverSideEmitWithAck("silent").then(
      () => assert.fail("resolved"),
      (error: Error & { responses?: unknown[] }) => error,
    );
    assert.equal(
      error.message,
      "Cannot emit to other servers: timeout reached after 300 ms, 0 of 1 servers answered",
    );
    assert.deepEqual(error.responses, []);
    await assert.rejects(
      fleet.node("serverSideEmitWithAck", { event: "silent" }),
      /node serverSideEmitWithAck: timeout reached: only 0 responses received out of 1/,
    );
  });
});

Deno.test("UpstashNodeAdapter reopens its streams after the store dropped them, and the fleet works again", async () => {
  await withFleet({ edge: { retryDelay: 20, retryDelayMax: 100 } }, async (fleet) => {
    const { store, edge } = fleet;
    edgeSetup(edge);
    const e = await fleet.client("edge", "e");
    const n = await fleet.client("node", "n");
    await bothCounted(fleet);
    await store.rest.pause();
    assert.equal(store.rest.subscriptions, 0);
    await sleep(100);
    store.rest.resume();
    await store.rest.waitForSubscriptions(2);
    await bothCounted(fleet);
    const toEdge = once(e, "again", 5000);
    await fleet.node("emit", { event: "again", args: ["from node"] });
    assert.deepEqual(await toEdge, ["from node"]);
    const toNode = once(n, "again", 5000);
    edge.emit("again", "from edge");
    assert.deepEqual(await toNode, ["from edge"]);
  });
});

Deno.test("with the store unreachable, requests fail within requestsTimeout, failures are reported, and close() ends what waits", async () => {
  const edgeOptions = { requestsTimeout: 300, retryDelay: 20, retryDelayMax: 50 };
  await withFleet({ edge: edgeOptions }, async (fleet) => {
    const { store, edge } = fleet;
    await store.rest.pause();
    const errors: string[] = [];
    edge.of("/").adapter.on("error", (error) => errors.push(error.message));
    await assert.rejects(
      edge.fetchSockets(),
      new Error("Cannot reach the other servers: no subscription within 300 ms"),
    );
    edge.emit("lost");
    for (let i = 0; i < 100 && !errors.some((m) => m.startsWith("Cannot publish")); i++) {
      await sleep(10);
    }
    assert.ok(errors.some((m) => /^Cannot subscribe to .*: HTTP 503/.test(m)), errors.join("\n"));
    assert.ok(errors.includes("Cannot publish: HTTP 503 Service Unavailable"), errors.join("\n"));

    const waiting = edge.serverSideEmitWithAck("question", "q");
    await edge.close();
    await assert.rejects(waiting, new Error("Cannot reach the other servers: the adapter closed"));
  });
});
