// Typed events as socket.io 4.8 declares them: the example server of socket.io's TypeScript docs
// must compile under `deno check`, each `@ts-expect-error` line proves a misuse does not, and a
// small run against socket.io-client shows the typed server works.
import assert from "node:assert/strict";
import type { Socket as ClientSocket } from "socket.io-client";
import type { DisconnectReason, RemoteSocket, Server, Socket } from "../../server/mod.ts";
import { once, withServer } from "./_harness.ts";

interface ServerToClientEvents {
  noArg: () => void;
  basicEmit: (a: number, b: string, c: Uint8Array) => void;
  withAck: (d: string, callback: (e: number) => void) => void;
}

interface ClientToServerEvents {
  hello: () => void;
  chat: (text: string) => void;
  add: (a: number, b: number, callback: (sum: number) => void) => void;
}

interface InterServerEvents {
  ping: () => void;
}

interface SocketData {
  name: string;
  age: number;
}

type TypedServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
type TypedSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

// Never called: it only has to type-check.
function _typedExample(io: TypedServer): void {
  io.on("connection", (socket) => {
    const typed: TypedSocket = socket;
    socket.emit("noArg");
    socket.emit("basicEmit", 1, "2", new Uint8Array([3]));
    socket.emit("withAck", "4", (e) => {
      const n: number = e;
      void n;
    });
    socket.timeout(1000).emit("withAck", "4", (err, e) => {
      const error: Error = err;
      const n: number = e;
      void [error, n];
    });
    void (async () => {
      const n: number = await socket.emitWithAck("withAck", "4");
      const m: number = await socket.timeout(1000).emitWithAck("withAck", "4");
      void [n, m];
    })();

    socket.on("hello", () => {});
    socket.on("chat", (text) => {
      const s: string = text;
      socket.broadcast.emit("basicEmit", s.length, s, new Uint8Array());
    });
    socket.on("add", (a, b, callback) => callback(a + b));
    socket.on("disconnect", (reason) => {
      const r: DisconnectReason = reason;
      void r;
    });
    socket.on("error", (error) => {
      const e: Error = error;
      void e;
    });

    socket.data.name = "john";
    socket.data.age = 42;
    socket.to("room1").emit("noArg");

    // @ts-expect-error: wrong argument type (`a` is a number)
    socket.emit("basicEmit", "1", "2", new Uint8Array());
    // @ts-expect-error: unknown event name
    socket.emit("unknown");
    // @ts-expect-error: wrong listener parameter (`text` is a string)
    socket.on("chat", (text: number) => void text);
    // @ts-expect-error: unknown event to listen to
    socket.on("goodbye", () => {});
    // @ts-expect-error: no such field in SocketData
    socket.data.email = "john@example.com";
    // @ts-expect-error: wrong type for a SocketData field
    socket.data.age = "42";
    // @ts-expect-error: the ack callback is not the server's to call for "hello"
    socket.emit("withAck", 4, () => {});
    void typed;
  });

  io.emit("noArg");
  io.to("room1").emit("basicEmit", 1, "2", new Uint8Array());
  io.except("room2").volatile.emit("noArg");
  io.of("/admin").emit("noArg");
  // Broadcasts with an ack: `(err, responses[])` under timeout.
  io.timeout(1000).emit("withAck", "4", (err, responses) => {
    const error: Error = err;
    const all: number[] = responses;
    void [error, all];
  });
  io.to("room1").timeout(1000).emit("withAck", "4", (err, responses) => {
    const error: Error = err;
    const all: number[] = responses;
    void [error, all];
  });
  void (async () => {
    const all: number[] = await io.timeout(1000).emitWithAck("withAck", "4");
    const sockets = await io.fetchSockets();
    for (const remote of sockets) {
      const typedRemote: RemoteSocket<ServerToClientEvents, SocketData> = remote;
      const name: string = remote.data.name;
      remote.emit("basicEmit", 1, name, new Uint8Array());
      // @ts-expect-error: no such field in SocketData
      void remote.data.email;
      // @ts-expect-error: wrong argument type to a remote socket
      remote.emit("noArg", 1);
      void typedRemote;
    }
    void all;
  })();
  io.serverSideEmit("ping");
  io.of("/").on("ping", () => {});
  io.on("ping", () => {});
  io.on("connect", (socket) => void socket.id);
  // @ts-expect-error: an event servers do not send each other
  io.on("pong", () => {});

  // @ts-expect-error: wrong argument type to a broadcast
  io.to("room1").emit("basicEmit", "1", "2", new Uint8Array());
  // @ts-expect-error: unknown event name to a broadcast
  io.emit("unknown");
  // @ts-expect-error: unknown server-side event
  io.serverSideEmit("pong");
  // @ts-expect-error: an event with an ack needs timeout() on a broadcast
  io.emit("withAck", "4", () => {});
  // @ts-expect-error: the connection listener gets a socket, not a string
  io.on("connection", (socket: string) => void socket);
}
void _typedExample;

Deno.test("socket.io: a typed server runs against socket.io-client", async () => {
  await withServer({}, async ({ io: untyped, client }) => {
    const io = untyped as unknown as TypedServer;
    const sockets: TypedSocket[] = [];
    io.on("connection", (socket) => {
      sockets.push(socket);
      socket.data.name = "ada";
      socket.data.age = 36;
      socket.on("add", (a, b, callback) => callback(a + b));
    });
    const socket = client() as unknown as ClientSocket<
      ServerToClientEvents,
      ClientToServerEvents
    >;
    socket.on("withAck", (d, callback) => callback(d.length));
    const received = once(socket, "basicEmit");
    await once(socket, "connect");
    const [serverSocket] = sockets;
    assert.ok(serverSocket);

    serverSocket.emit("basicEmit", 1, "2", new Uint8Array([3]));
    const [a, b, c] = await received;
    assert.equal(a, 1);
    assert.equal(b, "2");
    assert.deepEqual(new Uint8Array(c as ArrayBuffer), new Uint8Array([3]));

    assert.equal(await socket.emitWithAck("add", 1, 2), 3);
    assert.equal(await serverSocket.emitWithAck("withAck", "four"), 4);
    assert.deepEqual(await io.timeout(2000).emitWithAck("withAck", "three"), [5]);

    const [remote] = await io.fetchSockets();
    assert.equal(remote?.id, serverSocket.id);
    assert.deepEqual(remote?.data, { name: "ada", age: 36 });
  });
});
