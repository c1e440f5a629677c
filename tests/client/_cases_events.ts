// Suite cases about messages: events both ways, acks, timeouts, retries, buffering, volatile,
// catch-all listeners and rooms. Registered by _suite.ts.
import assert from "node:assert/strict";
import { bytes, type Case, once, ready, strip, view } from "./_servers.ts";

export const EVENT_CASES: Case[] = [
  ["emits text and nested binary both ways; binary arrives as ArrayBuffer", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url);
    const buffer = bytes(4, 5).buffer;
    const received = once(socket, "news");
    socket.emit(
      "emit-back",
      "news",
      "héllo ☃",
      { n: 1, nested: { bytes: bytes(1, 2, 3), buffer } },
      [
        bytes(),
        bytes(255),
      ],
    );
    const [text, object, list] = await received as [
      string,
      { n: number; nested: { bytes: unknown; buffer: unknown } },
      unknown[],
    ];
    assert.equal(text, "héllo ☃");
    assert.equal(object.n, 1);
    assert.deepEqual(view(object.nested.bytes), [1, 2, 3]);
    assert.deepEqual(view(object.nested.buffer), [4, 5]);
    assert.equal(list.length, 2);
    assert.deepEqual(view(list[0]), []);
    assert.deepEqual(view(list[1]), [255]);
    const plain = once(socket, "plain");
    socket.emit("emit-back", "plain", 0, null, true, { a: [1, "b"] });
    assert.deepEqual(strip(await plain), [0, null, true, { a: [1, "b"] }]);
  }],

  ["acks both ways, with text and binary", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url);
    const answer = await new Promise((resolve) =>
      socket.emit("echo", 1, "two", bytes(3), (...args: unknown[]) => resolve(args))
    ) as unknown[];
    assert.deepEqual(answer.slice(0, 2), [1, "two"]);
    assert.deepEqual(view(answer[2]), [3]);
    socket.on("double", (n: number, ack: (m: number) => void) => ack(n * 2));
    assert.deepEqual(await socket.emitWithAck("ask", "double", [21]), { answer: [42] });
    socket.on("bin", (ack: (b: Uint8Array, s: string) => void) => ack(bytes(9, 8), "s"));
    const binary = await socket.emitWithAck("ask", "bin", []) as { answer: [unknown, string] };
    assert.deepEqual(view(binary.answer[0]), [9, 8]);
    assert.equal(binary.answer[1], "s");
  }],

  ["timeout() gives 'operation has timed out' when the server never acks", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url);
    const [error] = await new Promise<unknown[]>((resolve) =>
      socket.timeout(100).emit("no-ack", 1, (...args: unknown[]) => resolve(args))
    );
    assert.ok(error instanceof Error);
    assert.equal(error.message, "operation has timed out");
    await assert.rejects(socket.timeout(100).emitWithAck("no-ack"), {
      message: "operation has timed out",
    });
    const ok = await new Promise<unknown[]>((resolve) =>
      socket.timeout(2000).emit("echo", "in time", (...args: unknown[]) => resolve(args))
    );
    assert.deepEqual(ok, [null, "in time"]);
  }],

  ["emitWithAck() resolves with the ack's first argument", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url);
    assert.equal(await socket.emitWithAck("echo", "x", "ignored"), "x");
    assert.deepEqual(await socket.timeout(2000).emitWithAck("echo", { deep: [1] }), { deep: [1] });
  }],

  ["ackTimeout with retries delivers at least once, in order", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url, { ackTimeout: 150, retries: 2 });
    const first = socket.emitWithAck("flaky", "a");
    const second = new Promise<unknown[]>((resolve) =>
      socket.emit("flaky", "b", (...args: unknown[]) => resolve(args))
    );
    // The server ignores the first try of each key and acks the second with its try count.
    assert.equal(await first, 2);
    assert.deepEqual(await second, [null, 2]);
    await assert.rejects(socket.emitWithAck("no-ack"), { message: "operation has timed out" });
  }],

  ["buffers emits made before connect; volatile ones are dropped instead", async (ctx) => {
    const socket = ctx.clients.io(ctx.url, { autoConnect: false });
    assert.equal(socket.io.engine, undefined);
    socket.emit("record", 1);
    socket.volatile.emit("record", "dropped");
    socket.compress(false).emit("record", 2, bytes(7));
    assert.equal(socket.sendBuffer.length, 2);
    socket.connect();
    await ready(socket);
    assert.equal(socket.sendBuffer.length, 0);
    socket.volatile.emit("record", "volatile while connected");
    const records = await socket.emitWithAck("records") as unknown[][];
    assert.equal(records.length, 3);
    assert.deepEqual(records[0], [1]);
    assert.equal(records[1]![0], 2);
    assert.deepEqual(view(records[1]![1]), [7]);
    assert.deepEqual(records[2], ["volatile while connected"]);
  }],

  ["onAny, prependAny, offAny and listenersAny see incoming events", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url);
    const seen: unknown[][] = [];
    const a = (...args: unknown[]) => seen.push(["a", ...strip(args)]);
    const b = (...args: unknown[]) => seen.push(["b", ...strip(args)]);
    const c = (...args: unknown[]) => seen.push(["c", ...strip(args)]);
    socket.onAny(a).onAny(b).prependAny(c);
    assert.deepEqual(socket.listenersAny(), [c, a, b]);
    let next = once(socket, "one");
    socket.emit("emit-back", "one", 1, "x");
    await next;
    assert.deepEqual(seen, [["c", "one", 1, "x"], ["a", "one", 1, "x"], ["b", "one", 1, "x"]]);
    socket.offAny(a);
    assert.deepEqual(socket.listenersAny(), [c, b]);
    seen.length = 0;
    next = once(socket, "two");
    socket.emit("emit-back", "two");
    await next;
    assert.deepEqual(seen, [["c", "two"], ["b", "two"]]);
    socket.offAny();
    assert.deepEqual(socket.listenersAny(), []);
    seen.length = 0;
    next = once(socket, "three");
    socket.emit("emit-back", "three");
    await next;
    assert.deepEqual(seen, []);
  }],

  ["onAnyOutgoing, prependAnyOutgoing, offAnyOutgoing and listenersAnyOutgoing", async (ctx) => {
    const socket = ctx.clients.io(ctx.url, { autoConnect: false });
    const seen: unknown[][] = [];
    const a = (...args: unknown[]) => seen.push(["a", ...args]);
    const b = (...args: unknown[]) => seen.push(["b", ...args]);
    socket.onAnyOutgoing(a).prependAnyOutgoing(b);
    assert.deepEqual(socket.listenersAnyOutgoing(), [b, a]);
    socket.emit("record", "buffered");
    assert.deepEqual(seen, []); // told when the packet leaves, not when it is buffered
    socket.connect();
    await ready(socket);
    assert.deepEqual(seen, [["b", "record", "buffered"], ["a", "record", "buffered"]]);
    seen.length = 0;
    assert.equal(await socket.emitWithAck("echo", 5), 5); // the ack callback is not an argument
    assert.deepEqual(seen, [["b", "echo", 5], ["a", "echo", 5]]);
    socket.offAnyOutgoing(b);
    assert.deepEqual(socket.listenersAnyOutgoing(), [a]);
    seen.length = 0;
    socket.emit("record", "x");
    assert.deepEqual(seen, [["a", "record", "x"]]);
    socket.offAnyOutgoing();
    assert.deepEqual(socket.listenersAnyOutgoing(), []);
  }],

  ["rooms: a room broadcast reaches members only", async (ctx) => {
    const member = await ctx.clients.connect(ctx.url);
    const outsider = await ctx.clients.connect(ctx.url);
    assert.deepEqual(await member.emitWithAck("join", "r1"), [member.id, "r1"]);
    const got: unknown[][] = [];
    outsider.on("room-news", (...args: unknown[]) => got.push(args));
    const news = once(member, "room-news");
    const marker = once(outsider, "after-room");
    outsider.emit("to-room", "r1", "room-news", 7, bytes(1));
    const [n, b] = await news;
    assert.equal(n, 7);
    assert.deepEqual(view(b), [1]);
    assert.deepEqual(strip(await marker), ["r1"]);
    assert.deepEqual(got, []);
  }],
];
