// Suite cases about connections: connect, auth, refusals, namespaces and multiplexing, forceNew,
// disconnects both ways, query, headers, cache busting, rememberUpgrade and path. Registered by
// _suite.ts.
import assert from "node:assert/strict";
import { type Case, finalTransport, once, ready, strip, whoami } from "./_servers.ts";

export const CONNECTION_CASES: Case[] = [
  ["connects: id, connected, and the server sees the same socket and engine", async (ctx) => {
    const socket = ctx.clients.io(ctx.url);
    assert.equal(socket.connected, false);
    assert.equal(socket.id, undefined);
    await ready(socket);
    assert.equal(socket.connected, true);
    assert.equal(socket.disconnected, false);
    assert.equal(socket.active, true);
    assert.equal(socket.nsp, "/");
    const me = await whoami(socket);
    assert.equal(me.id, socket.id);
    assert.equal(me.nsp, "/");
    assert.equal(me.engineId, socket.io.engine!.id);
    assert.equal(me.transport, finalTransport(ctx.transports));
    assert.equal(socket.io.engine!.transport.name, finalTransport(ctx.transports));
    assert.equal(me.recovered, false);
    assert.equal(socket.recovered, false);
  }],

  ["auth as an object reaches the server", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url, { auth: { token: "abc", n: 1 } });
    assert.deepEqual((await whoami(socket)).auth, { token: "abc", n: 1 });
  }],

  ["auth as a function reaches the server", async (ctx) => {
    let calls = 0;
    const socket = await ctx.clients.connect(ctx.url, {
      auth: (callback) => {
        calls++;
        callback({ token: "from a function" });
      },
    });
    assert.deepEqual((await whoami(socket)).auth, { token: "from a function" });
    assert.equal(calls, 1);
  }],

  ["a refusing middleware gives connect_error with its message and data", async (ctx) => {
    const socket = ctx.clients.io(ctx.url, { auth: { token: "bad" } });
    const [error] = await once(socket, "connect_error") as [Error & { data?: unknown }];
    assert.equal(error.message, "not authorized");
    assert.deepEqual(error.data, { code: 4001, hint: "use another token" });
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false);
    assert.equal(socket.id, undefined);
  }],

  ["an unknown namespace gives connect_error 'Invalid namespace'", async (ctx) => {
    const socket = ctx.clients.io(`${ctx.url}/nope`);
    const [error] = await once(socket, "connect_error") as [Error];
    assert.equal(error.message, "Invalid namespace");
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false);
  }],

  ["two namespaces share one manager and one engine connection", async (ctx) => {
    const main = ctx.clients.io(ctx.url, { forceNew: false });
    const admin = ctx.clients.io(`${ctx.url}/admin`, { forceNew: false });
    assert.equal(admin.io, main.io);
    await ready(main);
    await ready(admin);
    const [one, two] = await Promise.all([whoami(main), whoami(admin)]);
    assert.equal(one.nsp, "/");
    assert.equal(two.nsp, "/admin");
    assert.equal(one.engineId, main.io.engine!.id);
    assert.equal(two.engineId, one.engineId);
    assert.notEqual(two.id, one.id);
    const separate = ctx.clients.io(`${ctx.url}/admin`, { forceNew: false, multiplex: false });
    assert.notEqual(separate.io, main.io);
    await ready(separate);
    assert.notEqual((await whoami(separate)).engineId, one.engineId);
    // Leaving one namespace keeps the shared connection open for the other.
    admin.disconnect();
    assert.equal(await main.emitWithAck("echo", "still here"), "still here");
  }],

  ["forceNew makes a new connection; the same namespace twice does too", async (ctx) => {
    const a = await ctx.clients.connect(ctx.url);
    const b = await ctx.clients.connect(ctx.url);
    assert.notEqual(a.io, b.io);
    assert.notEqual((await whoami(a)).engineId, (await whoami(b)).engineId);
    const c = ctx.clients.io(ctx.url, { forceNew: false });
    const d = ctx.clients.io(ctx.url, { forceNew: false });
    assert.notEqual(c.io, d.io);
    await ready(c);
    await ready(d);
    assert.notEqual(c.id, d.id);
  }],

  [
    "disconnect(): 'io client disconnect' here, 'client namespace disconnect' there",
    async (ctx) => {
      const watcher = await ctx.clients.connect(ctx.url);
      assert.deepEqual(await watcher.emitWithAck("join", "watchers"), [watcher.id, "watchers"]);
      const socket = await ctx.clients.connect(ctx.url);
      const id = socket.id;
      const reasons: unknown[] = [];
      socket.on("disconnect", (reason) => reasons.push(reason));
      const gone = once(watcher, "gone");
      socket.disconnect();
      assert.deepEqual(reasons, ["io client disconnect"]);
      assert.equal(socket.connected, false);
      assert.equal(socket.active, false);
      assert.equal(socket.id, undefined);
      assert.deepEqual(strip(await gone), [id, "client namespace disconnect"]);
      // The connection closes once no namespace uses it (after its last write).
      const engine = socket.io.engine!;
      if (engine.readyState !== "closed") await once(engine, "close");
      assert.equal(engine.readyState, "closed");
    },
  ],

  ["a server-side disconnect gives 'io server disconnect' and no reconnection", async (ctx) => {
    const watcher = await ctx.clients.connect(ctx.url);
    await watcher.emitWithAck("join", "watchers");
    const socket = await ctx.clients.connect(ctx.url, {
      reconnection: true,
      reconnectionDelay: 10,
      reconnectionDelayMax: 10,
    });
    const id = socket.id;
    const attempts: unknown[] = [];
    socket.io.on("reconnect_attempt", (n) => attempts.push(n));
    const gone = once(watcher, "gone");
    const disconnected = once(socket, "disconnect");
    socket.emit("disconnect-me");
    assert.deepEqual(await disconnected, ["io server disconnect", undefined]);
    assert.deepEqual(strip(await gone), [id, "server namespace disconnect"]);
    assert.equal(socket.active, false);
    const engine = socket.io.engine!;
    if (engine.readyState !== "closed") await once(engine, "close");
    assert.equal(engine.readyState, "closed");
    // A round trip on another connection, longer than the reconnection delay.
    assert.equal(await watcher.emitWithAck("echo", 1), 1);
    assert.deepEqual(attempts, []);
    assert.equal(socket.connected, false);
  }],

  ["query and extraHeaders reach the server's handshake", async (ctx) => {
    const socket = await ctx.clients.connect(ctx.url, {
      query: { room: "a b&c", n: "1" },
      extraHeaders: { "x-edgeio-test": "hello" },
    });
    const me = await whoami(socket);
    assert.equal(me.query.room, "a b&c");
    assert.equal(me.query.n, "1");
    assert.equal(me.query.EIO, "4");
    assert.equal(me.query.transport, ctx.transports[0]);
    assert.equal(me.header, "hello");
    const other = await ctx.clients.connect(ctx.url, { query: "x=1&y=two" });
    const query = (await whoami(other)).query;
    assert.equal(query.x, "1");
    assert.equal(query.y, "two");
    assert.equal((await whoami(other)).header, null);
  }],

  ["timestampRequests and timestampParam control the cache buster", async (ctx) => {
    const first = ctx.transports[0];
    const byDefault = (await whoami(await ctx.clients.connect(ctx.url))).query;
    assert.equal("t" in byDefault, first === "polling");
    const off = (await whoami(await ctx.clients.connect(ctx.url, { timestampRequests: false })))
      .query;
    assert.equal("t" in off, false);
    const on = (await whoami(
      await ctx.clients.connect(ctx.url, { timestampRequests: true, timestampParam: "ts" }),
    )).query;
    assert.equal("t" in on, false);
    assert.match(on.ts!, /^[0-9a-z]+$/);
  }],

  ["rememberUpgrade starts over websocket once websocket has worked", async (ctx) => {
    await ctx.clients.connect(ctx.url); // a websocket success, where websocket is allowed
    const socket = await ctx.clients.connect(ctx.url, { rememberUpgrade: true });
    const me = await whoami(socket);
    const canWebsocket = ctx.transports.includes("websocket");
    assert.equal(me.query.transport, canWebsocket ? "websocket" : "polling");
    assert.equal(me.transport, finalTransport(ctx.transports));
  }],

  ["the path option selects where the server answers", async (ctx) => {
    const custom = await ctx.kind.start({ path: "/custom-io" });
    try {
      const socket = await ctx.clients.connect(custom.url, { path: "/custom-io" });
      assert.equal((await whoami(socket)).transport, finalTransport(ctx.transports));
      const lost = ctx.clients.io(custom.url);
      const [error] = await once(lost, "connect_error") as [Error];
      assert.equal(
        error.message,
        ctx.transports[0] === "polling" ? "xhr poll error" : "websocket error",
      );
      assert.equal(lost.connected, false);
    } finally {
      ctx.clients.disconnectAll();
      await custom.stop();
    }
  }],
];
