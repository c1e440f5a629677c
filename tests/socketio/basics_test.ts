// Official socket.io-client 4.8.4 against our Socket.IO server on Deno, on each transport.
import assert from "node:assert/strict";
import type { Socket } from "../../server/mod.ts";
import { once, TRANSPORTS, withServer } from "./_harness.ts";

for (const [name, transport] of TRANSPORTS) {
  Deno.test(`socket.io (${name}): connect, events and acks both ways, binary anywhere`, async () => {
    await withServer({}, async ({ io, client }) => {
      const connected = once(io, "connection");
      const socket = client("/", transport);
      await once(socket, "connect");
      const [serverSocket] = await connected as [Socket];
      assert.equal(socket.id, serverSocket.id);
      assert.equal(serverSocket.connected, true);

      serverSocket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      const bytes = new Uint8Array([1, 2, 255]);
      const answer = await socket.emitWithAck("echo", { nested: [1, { file: bytes }], text: "é" });
      const nested = (answer as { nested: [number, { file: Uint8Array }] }).nested;
      assert.deepEqual(new Uint8Array(nested[1].file), bytes);

      const received = once(socket, "hello");
      serverSocket.emit("hello", "world", bytes);
      const [text, data] = await received;
      assert.equal(text, "world");
      assert.deepEqual(new Uint8Array(data as ArrayBuffer), bytes);

      socket.on("question", (q: string, ack: (a: string) => void) => ack(q.toUpperCase()));
      assert.equal(await serverSocket.emitWithAck("question", "why"), "WHY");
      assert.equal(await serverSocket.timeout(2000).emitWithAck("question", "how"), "HOW");
    });
  });
}

Deno.test("socket.io: an ack that never comes times out with an error", async () => {
  await withServer({}, async ({ io, client }) => {
    const connected = once(io, "connection");
    const socket = client();
    socket.on("silent", () => {});
    const [serverSocket] = await connected as [Socket];
    await assert.rejects(serverSocket.timeout(50).emitWithAck("silent"), /operation has timed out/);
    const [error] = await new Promise<unknown[]>((resolve) =>
      serverSocket.timeout(50).emit("silent", (...args: unknown[]) => resolve(args))
    );
    assert.ok(error instanceof Error);
  });
});

Deno.test("socket.io: reserved event names cannot be emitted", async () => {
  await withServer({}, async ({ io, client }) => {
    const connected = once(io, "connection");
    client();
    const [serverSocket] = await connected as [Socket];
    for (
      const name of [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
      ]
    ) {
      assert.throws(() => serverSocket.emit(name), /reserved event name/);
      assert.throws(() => io.emit(name), /reserved event name/);
    }
  });
});

Deno.test("socket.io: disconnect reasons on both sides", async () => {
  await withServer({}, async ({ io, client }) => {
    let connected = once(io, "connection");
    const a = client();
    let [serverSocket] = await connected as [Socket];
    if (!a.connected) await once(a, "connect");
    const clientReason = once(a, "disconnect");
    const serverReason = once(serverSocket, "disconnect");
    serverSocket.disconnect();
    assert.deepEqual((await clientReason)[0], "io server disconnect");
    assert.equal((await serverReason)[0], "server namespace disconnect");

    connected = once(io, "connection");
    const b = client();
    [serverSocket] = await connected as [Socket];
    if (!b.connected) await once(b, "connect"); // a client not yet connected sends no DISCONNECT
    const disconnecting = once(serverSocket, "disconnecting");
    const gone = once(serverSocket, "disconnect");
    b.disconnect();
    assert.equal((await disconnecting)[0], "client namespace disconnect");
    assert.equal((await gone)[0], "client namespace disconnect");
  });
});

Deno.test("socket.io: io.use() refuses with connect_error carrying message and data", async () => {
  await withServer({}, async ({ io, client }) => {
    io.use((socket, next) => {
      if (socket.handshake.auth.token === "good") return next();
      const error = new Error("not authorized") as Error & { data?: unknown };
      error.data = { retry: false };
      next(error);
    });
    const refused = client("/", { auth: { token: "bad" } });
    const [error] = await once(refused, "connect_error") as [Error & { data?: unknown }];
    assert.equal(error.message, "not authorized");
    assert.deepEqual(error.data, { retry: false });
    const admitted = client("/", { auth: { token: "good" } });
    await once(admitted, "connect");
  });
});

Deno.test("socket.io: namespaces, and an unknown one answered Invalid namespace", async () => {
  await withServer({}, async ({ io, client }) => {
    const admin = io.of("/admin");
    const joined = once(admin, "connection");
    const socket = client("/admin");
    await once(socket, "connect");
    const [serverSocket] = await joined as [Socket];
    assert.equal(serverSocket.nsp.name, "/admin");
    const unknown = client("/nope");
    const [error] = await once(unknown, "connect_error") as [Error];
    assert.equal(error.message, "Invalid namespace");
  });
});

Deno.test("socket.io: rooms, to, except, broadcast and io.emit", async () => {
  await withServer({}, async ({ io, client }) => {
    const serverSockets: Socket[] = [];
    io.on("connection", (s: Socket) => serverSockets.push(s));
    const [a, b, c] = [client(), client(), client()];
    await Promise.all([a, b, c].map((s) => once(s, "connect")));
    const byId = (id: string | undefined) => serverSockets.find((s) => s.id === id)!;
    byId(a.id).join("red");
    byId(b.id).join(["red", "blue"]);
    byId(c.id).join("blue");
    assert.deepEqual([...byId(b.id).rooms].sort(), [b.id, "blue", "red"].sort());

    const seen: string[] = [];
    for (const [label, s] of [["a", a], ["b", b], ["c", c]] as const) {
      s.onAny((event: string) => seen.push(`${label}:${event}`));
    }
    io.to("red").emit("to-red");
    io.to("blue").except("red").emit("blue-not-red");
    byId(a.id).broadcast.emit("from-a");
    byId(b.id).to("blue").emit("b-to-blue");
    io.emit("all");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(seen.sort(), [
      "a:all",
      "a:to-red",
      "b:all",
      "b:from-a",
      "b:to-red",
      "c:all",
      "c:b-to-blue",
      "c:blue-not-red",
      "c:from-a",
    ]);
    const sockets = await io.in("blue").fetchSockets();
    assert.deepEqual(sockets.map((s) => s.id).sort(), [b.id, c.id].sort());
  });
});

Deno.test("socket.io: a broadcast with acks collects every answer", async () => {
  await withServer({}, async ({ io, client }) => {
    const clients = [client(), client(), client()];
    await Promise.all(clients.map((s) => once(s, "connect")));
    clients.forEach((s, i) => s.on("count", (ack: (n: number) => void) => ack(i)));
    const answers = await io.timeout(2000).emitWithAck("count");
    assert.deepEqual((answers as number[]).sort(), [0, 1, 2]);
  });
});

Deno.test("socket.io: per-socket middleware sees every event and may refuse one", async () => {
  await withServer({}, async ({ io, client }) => {
    const connected = once(io, "connection");
    const socket = client();
    const [serverSocket] = await connected as [Socket];
    const errors: string[] = [];
    const events: string[] = [];
    serverSocket.use(([event], next) => (event === "bad" ? next(new Error("refused")) : next()));
    serverSocket.on("error", (e: Error) => errors.push(e.message));
    serverSocket.on("good", () => events.push("good"));
    serverSocket.on("bad", () => events.push("bad"));
    socket.emit("bad");
    socket.emit("good");
    const deadline = Date.now() + 2000;
    while (events.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(events, ["good"]);
    assert.deepEqual(errors, ["refused"]);
  });
});

Deno.test("socket.io: a listener that throws is not taken for bad input: the connection stays", async () => {
  await withServer({}, async ({ io, client }) => {
    const connected = once(io, "connection");
    const socket = client();
    const [serverSocket] = await connected as [Socket];
    if (!socket.connected) await once(socket, "connect");
    const uncaught: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      event.preventDefault();
      uncaught.push(event.error);
    };
    globalThis.addEventListener("error", onError);
    try {
      serverSocket.on("boom", () => {
        throw new Error("application bug");
      });
      serverSocket.on("ping", (ack: (a: string) => void) => ack("pong"));
      socket.emit("boom");
      assert.equal(await socket.timeout(2000).emitWithAck("ping"), "pong");
      assert.equal(serverSocket.connected, true);
      assert.equal((uncaught[0] as Error).message, "application bug");
    } finally {
      globalThis.removeEventListener("error", onError);
    }
  });
});

Deno.test("socket.io: serverSideEmit on a lone server reaches nobody and its ack gets no answer", async () => {
  await withServer({}, async ({ io }) => {
    let heard = 0;
    io.sockets.on("ping-servers", () => heard++);
    assert.equal(io.serverSideEmit("ping-servers"), true);
    assert.deepEqual(await io.serverSideEmitWithAck("ping-servers"), []);
    assert.deepEqual(await io.of("/admin").serverSideEmitWithAck("ping-servers"), []);
    assert.equal(heard, 0, "a server does not hear its own serverSideEmit");
  });
});

Deno.test("socket.io: an adapter that fails while admitting a client refuses it, never crashes", async () => {
  await withServer({ connectionStateRecovery: true }, async ({ io, client }) => {
    io.sockets.adapter.restoreSession = () => Promise.reject(new Error("store unavailable"));
    const socket = client("/", { auth: { pid: "some-pid", offset: "x" } });
    const [error] = await once(socket, "connect_error") as [Error];
    assert.equal(error.message, "store unavailable");
  });
});

Deno.test("socket.io: io.on is the main namespace's (connect before connection, one listener list)", async () => {
  await withServer({}, async ({ io, client }) => {
    const seen: string[] = [];
    io.on("connection", () => seen.push("io connection"));
    io.sockets.on("connection", () => seen.push("nsp connection"));
    io.on("connect", () => seen.push("io connect"));
    const admin: string[] = [];
    io.of("/admin").on("connection", () => admin.push("admin"));
    assert.equal(io.listenerCount("connection"), 2);
    assert.equal(io.sockets.listenerCount("connect"), 1);
    const socket = client();
    await once(socket, "connect");
    assert.deepEqual(seen, ["io connect", "io connection", "nsp connection"]);
    const named: unknown[] = [];
    io.on("new_namespace", (nsp) => named.push(nsp.name));
    io.of("/later");
    assert.deepEqual([named, admin], [["/later"], []]);
  });
});
