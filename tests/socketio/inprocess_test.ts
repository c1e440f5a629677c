// The Socket.IO server driven in process through `io.fetch` (polling only, no upgrader, no
// ports): raw Engine.IO requests carry raw Socket.IO packets, and time is a FakeTimers.
import assert from "node:assert/strict";
import { AckTimeoutError, type Middleware, Server, type Socket } from "../../server/mod.ts";
import { FakeTimers } from "../server/_fakes.ts";
import { bytesOf, RawClient, type Received } from "../_raw_client.ts";

const BASE = "http://localhost/socket.io/";

interface World {
  io: Server;
  timers: FakeTimers;
  /** Opens a polling session through `io.fetch`. */
  open(): Promise<RawClient>;
}

async function withServer(fn: (world: World) => Promise<void>): Promise<void> {
  const timers = new FakeTimers();
  const io = new Server({ timers });
  const clients: RawClient[] = [];
  try {
    await fn({
      io,
      timers,
      async open() {
        const client = await RawClient.connect({
          base: BASE,
          transport: "polling",
          fetch: io.fetch,
        });
        clients.push(client);
        return client;
      },
    });
  } finally {
    for (const client of clients) await client.close();
    await io.close();
  }
}

/** Resolves with the next socket of a namespace (or the server) to connect. */
function nextConnection(target: { once(event: "connection", fn: (s: Socket) => void): unknown }) {
  return new Promise<Socket>((resolve) => target.once("connection", resolve));
}

/** Every packet up to and including `last`, which must come within the wait. */
async function until(client: RawClient, last: string): Promise<Received[]> {
  const seen: Received[] = [];
  while (true) {
    const packet = await client.next();
    seen.push(packet);
    if (packet === last) return seen;
  }
}

Deno.test("Server.fetch() joins namespaces with the CONNECT's auth", async () => {
  await withServer(async ({ io, open }) => {
    const admin = io.of("/admin");
    const client = await open();

    const main = nextConnection(io);
    const answer = await client.join("/", { token: "main" });
    const mainSocket = await main;
    assert.equal(answer, `40{"sid":"${mainSocket.id}"}`);
    assert.deepEqual(mainSocket.handshake.auth, { token: "main" });
    assert.notEqual(mainSocket.id, client.sid, "the Socket.IO id is not the Engine.IO id");
    assert.equal(mainSocket.conn.id, client.sid);

    const joined = nextConnection(admin);
    const adminAnswer = await client.join("/admin", { token: "abc", n: [1, 2] });
    const adminSocket = await joined;
    assert.equal(adminAnswer, `40/admin,{"sid":"${adminSocket.id}"}`);
    assert.deepEqual(adminSocket.handshake.auth, { token: "abc", n: [1, 2] });
    assert.equal(adminSocket.nsp, admin);
    assert.notEqual(adminSocket.id, mainSocket.id);
    assert.equal(adminSocket.client, mainSocket.client, "one client for both namespaces");

    // Without a payload the auth is an empty object.
    const other = await open();
    const bare = nextConnection(admin);
    await other.join("/admin");
    assert.deepEqual((await bare).handshake.auth, {});
  });
});

Deno.test("Server.fetch() answers a CONNECT to an unknown namespace with Invalid namespace", async () => {
  await withServer(async ({ io, open }) => {
    const client = await open();
    await client.send("0/nope,");
    assert.equal(await client.next(), '44/nope,{"message":"Invalid namespace"}');
    await client.send('0/nope/deeper,{"token":"x"}');
    assert.equal(await client.next(), '44/nope/deeper,{"message":"Invalid namespace"}');
    assert.equal(io.of("/").sockets.size, 0);
    // The session stays open and can join a namespace that exists.
    await client.join("/");
    assert.equal(io.sockets.sockets.size, 1);
  });
});

Deno.test("Namespace.use() refuses a CONNECT with the error's message and data", async () => {
  await withServer(async ({ io, open }) => {
    const seen: string[] = [];
    const guard: Middleware = (socket, next) => {
      seen.push(String(socket.handshake.auth.token));
      if (socket.handshake.auth.token === "good") return next();
      const error = new Error("not authorized") as Error & { data?: unknown };
      if (socket.handshake.auth.token !== "plain") error.data = { retry: false, code: 7 };
      next(error);
    };
    const priv = io.of("/private").use(guard).use(async (_socket, next) => {
      await Promise.resolve();
      next();
    });
    let connections = 0;
    priv.on("connection", () => connections++);

    const client = await open();
    await client.send('0/private,{"token":"bad"}');
    assert.equal(
      await client.next(),
      '44/private,{"message":"not authorized","data":{"retry":false,"code":7}}',
    );
    await client.send('0/private,{"token":"plain"}');
    assert.equal(await client.next(), '44/private,{"message":"not authorized"}');
    assert.equal(connections, 0);
    assert.equal(priv.sockets.size, 0);

    // A refusal leaves the session open; the next CONNECT may pass every middleware.
    const admitted = nextConnection(priv);
    await client.join("/private", { token: "good" });
    assert.equal((await admitted).handshake.auth.token, "good");
    assert.equal(connections, 1);
    assert.deepEqual(seen, ["bad", "plain", "good"]);

    // A middleware that throws refuses too.
    io.of("/throws").use(() => {
      throw new Error("boom");
    });
    await client.send("0/throws,");
    assert.equal(await client.next(), '44/throws,{"message":"boom"}');
  });
});

Deno.test("Socket.timeout() acks: answered in time, timed out, and answered late", async () => {
  await withServer(async ({ io, timers, open }) => {
    const connected = nextConnection(io);
    const client = await open();
    await client.join("/");
    const socket = await connected;
    const baseline = timers.pending;

    const answers: unknown[][] = [];
    socket.timeout(1000).emit("question", "why", (...args: unknown[]) => answers.push(args));
    assert.equal(await client.next(), '420["question","why"]');
    assert.equal(timers.pending, baseline + 1, "one timer for the ack");
    timers.tick(999);
    assert.equal(answers.length, 0);
    // A POST is answered once its packets were handled.
    await client.send('30["because"]');
    assert.deepEqual([...answers], [[null, "because"]]);
    assert.equal(timers.pending, baseline, "the answer cleared the timer");
    timers.tick(10000);
    assert.equal(answers.length, 1, "no timeout after the answer");

    socket.timeout(500).emit("silent", 1, (...args: unknown[]) => answers.push(args));
    assert.equal(await client.next(), '421["silent",1]');
    timers.tick(499);
    assert.equal(answers.length, 1);
    timers.tick(1);
    assert.equal(answers.length, 2);
    const [error, ...rest] = answers[1]!;
    assert.ok(error instanceof AckTimeoutError);
    assert.equal((error as Error).message, "operation has timed out");
    assert.deepEqual(rest, []);
    assert.equal(timers.pending, baseline);
    // The answer after the timeout is dropped, and breaks nothing.
    await client.send('31["late"]');
    const waited = socket.timeout(100).emitWithAck("again");
    assert.equal(await client.next(), '422["again"]');
    await client.send('32["answer"]');
    assert.equal(await waited, "answer");
    assert.equal(answers.length, 2);

    const rejected = socket.timeout(100).emitWithAck("never");
    assert.equal(await client.next(), '423["never"]');
    timers.tick(100);
    await assert.rejects(rejected, AckTimeoutError);
    assert.equal(timers.pending, baseline);
  });
});

Deno.test("acks: a disconnect clears pending ack timers; a client's ack id is answered once", async () => {
  await withServer(async ({ io, timers, open }) => {
    const connected = nextConnection(io);
    const client = await open();
    await client.join("/");
    const socket = await connected;
    const baseline = timers.pending;
    let called = 0;
    socket.timeout(1000).emit("pending", () => called++);
    assert.equal(timers.pending, baseline + 1);
    socket.on("echo", (value: unknown, ack: (...args: unknown[]) => void) => {
      ack(value);
      ack("twice"); // only the first call is sent
    });
    await client.send('27["echo",{"a":[1]}]');
    const packets = await until(client, '437[{"a":[1]}]');
    assert.deepEqual(packets, ['420["pending"]', '437[{"a":[1]}]']);
    socket.emit("marker");
    assert.deepEqual(await until(client, '42["marker"]'), ['42["marker"]'], "no second ACK");
    await client.send("1");
    assert.equal(socket.connected, false);
    assert.equal(timers.pending, baseline, "the ack timer died with the socket");
    timers.tick(5000);
    assert.equal(called, 0);
  });
});

Deno.test("broadcast: rooms, except, socket.to, binary, and acks with a timeout", async () => {
  await withServer(async ({ io, timers, open }) => {
    const clients: RawClient[] = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const connected = nextConnection(io);
      const client = await open();
      await client.join("/");
      clients.push(client);
      sockets.push(await connected);
    }
    const [a, b, c] = sockets as [Socket, Socket, Socket];
    await a.join("red");
    await b.join(["red", "blue"]);
    await c.join("blue");

    io.to("red").emit("to-red", 1);
    io.to("blue").except("red").emit("blue-not-red");
    io.in(["red", "blue"]).emit("red-or-blue");
    a.to("blue").emit("a-to-blue");
    b.broadcast.emit("from-b");
    io.except(c.id).emit("bin", Uint8Array.from([1, 2, 3]));
    io.emit("end");

    const received = await Promise.all(clients.map((client) => until(client, '42["end"]')));
    const bin = '451-["bin",{"_placeholder":true,"num":0}]';
    assert.deepEqual(received[0]!.slice(0, 3), [
      '42["to-red",1]',
      '42["red-or-blue"]',
      '42["from-b"]',
    ]);
    assert.equal(received[0]![3], bin);
    assert.deepEqual(bytesOf(received[0]![4]), [1, 2, 3]);
    assert.equal(received[0]!.length, 6);
    assert.deepEqual(received[1]!.slice(0, 3), [
      '42["to-red",1]',
      '42["red-or-blue"]',
      '42["a-to-blue"]',
    ]);
    assert.equal(received[1]![3], bin);
    assert.deepEqual(bytesOf(received[1]![4]), [1, 2, 3]);
    assert.equal(received[1]!.length, 6);
    assert.deepEqual(received[2], [
      '42["blue-not-red"]',
      '42["red-or-blue"]',
      '42["a-to-blue"]',
      '42["from-b"]',
      '42["end"]',
    ]);

    // Acks from a room: two answer, one never does; the timeout reports what came.
    await c.join("red");
    const baseline = timers.pending;
    let result: [Error | null, unknown[]] | undefined;
    io.to("red").timeout(1000).emit("count", (error: Error | null, responses: unknown[]) => {
      result = [error, responses];
    });
    // Read through a function: TypeScript cannot see the callback assign it.
    const outcome = () => result;
    const ids: string[] = [];
    for (const client of clients) {
      const packet = await client.next() as string;
      const match = packet.match(/^42(\d+)\["count"\]$/);
      assert.ok(match, packet);
      ids.push(match[1]!);
    }
    assert.equal(new Set(ids).size, 1, "one ack id for the broadcast");
    await clients[0]!.send(`3${ids[0]}["a"]`);
    await clients[2]!.send(`3${ids[0]}["c"]`);
    assert.equal(outcome(), undefined);
    timers.tick(1000);
    const [error, responses] = outcome() ?? [];
    assert.equal(error?.message, "operation has timed out");
    assert.deepEqual(responses?.sort(), ["a", "c"]);
    assert.equal(timers.pending, baseline);

    // All answer: the callback runs at once with no error.
    const all = io.to("red").timeout(1000).emitWithAck("count");
    for (const client of clients) {
      const packet = await client.next() as string;
      const id = packet.match(/^42(\d+)\["count"\]$/)![1];
      await client.send(`3${id}["ok"]`);
    }
    assert.deepEqual(await all, ["ok", "ok", "ok"]);
    assert.equal(timers.pending, baseline);
  });
});
