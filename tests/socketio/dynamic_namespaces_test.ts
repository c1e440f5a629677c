// Dynamic namespaces (parent namespaces) with the official socket.io-client 4.8.4.
import assert from "node:assert/strict";
import { Adapter } from "../../adapter/mod.ts";
import { type Namespace, ParentNamespace, Server, type Socket } from "../../server/mod.ts";
import { type ClientSocket, once, TRANSPORTS, withServer } from "./_harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}

const connected = (...sockets: ClientSocket[]) =>
  Promise.all(sockets.map((s) => once(s, "connect")));

async function refusal(socket: ClientSocket): Promise<Error & { data?: unknown }> {
  const [error] = await once(socket, "connect_error");
  return error as Error & { data?: unknown };
}

const names = (parent: ParentNamespace) => [...parent.children].map((nsp) => nsp.name).sort();

for (const [label, transport] of TRANSPORTS) {
  Deno.test(`dynamic namespaces (${label}): a regex parent makes the child a client asks for`, async () => {
    await withServer({}, async ({ io, client }) => {
      const before = ParentNamespace.count;
      const parent = io.of(/^\/dynamic-\d+$/);
      assert.ok(parent instanceof ParentNamespace);
      assert.equal(parent.name, `/_${before}`);
      assert.equal(ParentNamespace.count, before + 1);

      const made = once(io, "new_namespace");
      const joined = once(parent, "connection");
      const socket = client("/dynamic-101", transport);
      await once(socket, "connect");
      const [nsp] = await made as [Namespace];
      const [serverSocket] = await joined as [Socket];
      assert.equal(nsp.name, "/dynamic-101");
      assert.equal(serverSocket.nsp, nsp);
      assert.equal(serverSocket.id, socket.id);
      assert.ok(parent.children.has(nsp));
      assert.equal(parent.sockets.size, 0, "the parent holds no socket itself");
      assert.equal(io.of("/dynamic-101"), nsp, "the child is registered under its name");

      serverSocket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      assert.deepEqual(await socket.emitWithAck("echo", { n: 1 }), { n: 1 });

      const unmatched = client("/dynamic-x", transport);
      assert.equal((await refusal(unmatched)).message, "Invalid namespace");
    });
  });
}

Deno.test("dynamic namespaces: function parents decide asynchronously, asked in the order they were made", async () => {
  await withServer({}, async ({ io, client }) => {
    const asked: string[] = [];
    const first = io.of((name, auth, next) => {
      asked.push(`first ${name}`);
      setTimeout(() => next(null, auth.token === "first"), 20);
    });
    const second = io.of((name, _auth, next) => {
      asked.push(`second ${name}`);
      queueMicrotask(() => {
        if (name === "/team-broken") next(new Error("broken"), true);
        else next(null, name.startsWith("/team-"));
      });
    });
    const throwing = io.of((name) => {
      asked.push(`throwing ${name}`);
      throw new Error("boom");
    });

    const a = client("/team-a", { auth: { token: "first" } });
    await once(a, "connect");
    const b = client("/team-b");
    await once(b, "connect");
    assert.deepEqual(names(first), ["/team-a"]);
    assert.deepEqual(names(second), ["/team-b"]);
    assert.deepEqual(asked, ["first /team-a", "first /team-b", "second /team-b"]);

    asked.length = 0;
    assert.equal((await refusal(client("/team-broken"))).message, "Invalid namespace");
    assert.equal((await refusal(client("/other"))).message, "Invalid namespace");
    assert.deepEqual(asked, [
      "first /team-broken",
      "second /team-broken",
      "throwing /team-broken",
      "first /other",
      "second /other",
      "throwing /other",
    ]);
    assert.equal(throwing.children.size, 0);
  });
});

Deno.test("dynamic namespaces: clients asking at once for a new name share one child", async () => {
  await withServer({}, async ({ io, client }) => {
    const parent = io.of((_name, _auth, next) => setTimeout(() => next(null, true), 30));
    const made: Namespace[] = [];
    io.on("new_namespace", (nsp) => made.push(nsp));
    const sockets: Socket[] = [];
    parent.on("connection", (socket: Socket) => sockets.push(socket));
    await connected(client("/shared"), client("/shared"), client("/shared"));
    assert.equal(made.length, 1);
    assert.equal(sockets.length, 3);
    assert.ok(sockets.every((socket) => socket.nsp === made[0]));
    assert.equal(made[0]!.sockets.size, 3);
  });
});

Deno.test("dynamic namespaces: the parent's middlewares and listeners apply to present and future children", async () => {
  await withServer({}, async ({ io, client }) => {
    const log: string[] = [];
    const parent = io.of(/^\/shop-\w+$/, (socket) => log.push(`of ${socket.nsp.name}`));
    parent.use((socket, next) => {
      log.push(`use1 ${socket.nsp.name}`);
      next();
    });
    const connects: string[] = [];
    parent.on("connect", (socket: Socket) => connects.push(socket.nsp.name));
    await once(client("/shop-a"), "connect");
    assert.deepEqual(log, ["use1 /shop-a", "of /shop-a"]);

    // Added once /shop-a exists: they reach it as well as the children still to come.
    parent.use(async (socket, next) => {
      await sleep(5);
      if (socket.handshake.auth.vip) return next();
      next(Object.assign(new Error("vip only"), { data: { code: 7 } }));
    });
    parent.on("connection", (socket: Socket) => log.push(`late ${socket.nsp.name}`));
    log.length = 0;
    const error = await refusal(client("/shop-a"));
    assert.equal(error.message, "vip only");
    assert.deepEqual(error.data, { code: 7 });
    await once(client("/shop-a", { auth: { vip: true } }), "connect");
    await once(client("/shop-b", { auth: { vip: true } }), "connect");
    assert.deepEqual(log, [
      "use1 /shop-a",
      "use1 /shop-a",
      "of /shop-a",
      "late /shop-a",
      "use1 /shop-b",
      "of /shop-b",
      "late /shop-b",
    ]);
    assert.deepEqual(connects, ["/shop-a", "/shop-a", "/shop-b"]);

    // A child's own middleware stays its own.
    io.of("/shop-b").use((_socket, next) => next(new Error("closed")));
    assert.equal((await refusal(client("/shop-b", { auth: { vip: true } }))).message, "closed");
    await once(client("/shop-a", { auth: { vip: true } }), "connect");
  });
});

Deno.test("dynamic namespaces: a broadcast from the parent reaches every child, with rooms and acks", async () => {
  await withServer({}, async ({ io, client }) => {
    const parent = io.of(/^\/game-\d+$/);
    const byId = new Map<string, Socket>();
    parent.on("connection", (socket: Socket) => byId.set(socket.id, socket));
    const [a, b, c, main] = [client("/game-1"), client("/game-1"), client("/game-2"), client()];
    await connected(a, b, c, main);
    const id = (socket: ClientSocket) => socket.id!;
    byId.get(id(a))!.join("red");
    byId.get(id(c))!.join("red");

    const seen: string[] = [];
    for (const [label, socket] of [["a", a], ["b", b], ["c", c], ["main", main]] as const) {
      socket.onAny((event: string) => seen.push(`${label}:${event}`));
    }
    parent.emit("all");
    parent.to("red").emit("red");
    parent.except("red").emit("not-red");
    parent.compress(false).emit("uncompressed");
    io.of("/game-2").emit("game-2");
    const expected = [
      "a:all",
      "a:red",
      "a:uncompressed",
      "b:all",
      "b:not-red",
      "b:uncompressed",
      "c:all",
      "c:game-2",
      "c:red",
      "c:uncompressed",
    ];
    await waitFor(() => seen.length >= expected.length);
    await sleep(50);
    assert.deepEqual(seen.sort(), expected);

    [a, b, c].forEach((socket, i) => socket.on("count", (ack: (n: number) => void) => ack(i)));
    const answers = await parent.timeout(2000).emitWithAck("count");
    assert.deepEqual((answers as number[]).sort(), [0, 1, 2]);
    assert.deepEqual((await parent.to("red").emitWithAck("count") as number[]).sort(), [0, 2]);

    const ids = async (found: Promise<{ id: string }[]>) => (await found).map((s) => s.id).sort();
    assert.deepEqual(await ids(parent.fetchSockets()), [id(a), id(b), id(c)].sort());
    assert.deepEqual(await ids(parent.in("red").fetchSockets()), [id(a), id(c)].sort());
    assert.deepEqual(await ids(parent.except("red").fetchSockets()), [id(b)]);
    const [remote] = await parent.except("red").fetchSockets();
    const direct = once(b, "direct");
    remote!.emit("direct", 42);
    assert.deepEqual(await direct, [42]);

    parent.in("red").socketsJoin("blue");
    assert.deepEqual(await ids(parent.in("blue").fetchSockets()), [id(a), id(c)].sort());
    parent.socketsLeave("red");
    assert.deepEqual(await ids(parent.in("red").fetchSockets()), []);
    assert.ok(byId.get(id(c))!.rooms.has("blue"));

    const gone = [once(a, "disconnect"), once(c, "disconnect")];
    parent.in("blue").disconnectSockets();
    assert.deepEqual((await Promise.all(gone)).map(([reason]) => reason), [
      "io server disconnect",
      "io server disconnect",
    ]);
    assert.equal(b.connected, true);
    assert.equal(main.connected, true);
  });
});

Deno.test("dynamic namespaces: with cleanupEmptyChildNamespaces an empty child is removed and made again when asked for", async () => {
  const closed: string[] = [];
  class TracingAdapter extends Adapter {
    override close(): void | Promise<void> {
      closed.push(this.nsp.name);
      return super.close();
    }
  }
  await withServer(
    { cleanupEmptyChildNamespaces: true, adapter: TracingAdapter },
    async ({ io, client }) => {
      const parent = io.of(/^\/room-\d+$/);
      const made: Namespace[] = [];
      io.on("new_namespace", (nsp) => made.push(nsp));
      const sockets: Socket[] = [];
      parent.on("connection", (socket: Socket) => sockets.push(socket));
      const [a, b] = [client("/room-1"), client("/room-1")];
      await connected(a, b);
      const [first] = made as [Namespace];
      assert.equal(made.length, 1);

      let left = once(sockets[0]!, "disconnect");
      a.disconnect();
      await left;
      assert.ok(parent.children.has(first), "a child with a socket left stays");
      left = once(sockets[1]!, "disconnect");
      b.disconnect();
      await left;
      assert.equal(parent.children.size, 0);
      assert.deepEqual(closed, ["/room-1"]);

      await once(client("/room-1"), "connect");
      assert.equal(made.length, 2);
      const [, second] = made as [Namespace, Namespace];
      assert.notEqual(second, first);
      assert.equal(sockets[2]!.nsp, second);
      assert.ok(parent.children.has(second));
      assert.equal(io.of("/room-1"), second, "the server knows the new child");

      // A child whose only client is refused is removed as well.
      const locked = io.of(/^\/locked-\d+$/).use((_socket, next) => next(new Error("locked")));
      assert.equal((await refusal(client("/locked-1"))).message, "locked");
      assert.equal(made.at(-1)!.name, "/locked-1");
      assert.equal(locked.children.size, 0);
      assert.deepEqual(closed, ["/room-1", "/locked-1"]);
    },
  );
});

Deno.test("dynamic namespaces: without cleanupEmptyChildNamespaces an empty child stays", async () => {
  await withServer({}, async ({ io, client }) => {
    const parent = io.of(/^\/room-\d+$/);
    const joined = once(parent, "connection");
    const socket = client("/room-1");
    await once(socket, "connect");
    const [serverSocket] = await joined as [Socket];
    const left = once(serverSocket, "disconnect");
    socket.disconnect();
    await left;
    assert.deepEqual(names(parent), ["/room-1"]);
    assert.equal(io.of("/room-1"), serverSocket.nsp);
  });
});

Deno.test("dynamic namespaces: an existing namespace takes precedence over the parents", async () => {
  await withServer({}, async ({ io, client }) => {
    const fixed = io.of("/dynamic-1");
    const parent = io.of(/^\/dynamic-\d+$/);
    let asked = 0;
    const anything = io.of((_name, _auth, next) => {
      asked++;
      next(null, true);
    });
    const joined = once(fixed, "connection");
    const parentJoins: string[] = [];
    parent.on("connection", (socket: Socket) => parentJoins.push(socket.nsp.name));
    await once(client("/dynamic-1"), "connect");
    assert.equal(((await joined) as [Socket])[0].nsp, fixed);
    assert.equal(parent.children.size, 0);
    assert.equal(asked, 0, "no parent is asked for a name that exists");

    // io.of() of a new name a regex parent matches makes a child of that parent.
    const child = io.of("/dynamic-2");
    assert.ok(parent.children.has(child));
    await once(client("/dynamic-2"), "connect");
    await once(client("/"), "connect");
    assert.deepEqual(parentJoins, ["/dynamic-2"]);
    assert.equal(asked, 0);

    await once(client("/elsewhere"), "connect");
    assert.equal(asked, 1);
    assert.deepEqual(names(anything), ["/elsewhere"]);
  });
});

Deno.test("io.of() refuses a stateful regular expression with a TypeError", async () => {
  const io = new Server();
  assert.throws(() => io.of(/^\/a$/g), TypeError);
  assert.throws(() => io.of(/^\/a$/y), /stateful regular expressions are not supported/);
  await io.close();
});
