import assert from "node:assert/strict";
import { Adapter, type AdapterNamespace, PacketType } from "../../adapter/mod.ts";
import { event, fixture, reached } from "./_fakes.ts";

function recordEvents(adapter: Adapter): string[] {
  const events: string[] = [];
  adapter.on("create-room", (room) => events.push(`create ${room}`));
  adapter.on("delete-room", (room) => events.push(`delete ${room}`));
  adapter.on("join-room", (room, id) => events.push(`join ${room} ${id}`));
  adapter.on("leave-room", (room, id) => events.push(`leave ${room} ${id}`));
  return events;
}

Deno.test("Adapter.addAll() creates rooms and emits create-room then join-room once per membership", () => {
  const { adapter } = fixture();
  const events = recordEvents(adapter);
  adapter.addAll("a", new Set(["a", "lobby"]));
  adapter.addAll("b", new Set(["b", "lobby"]));
  adapter.addAll("a", new Set(["lobby"]));
  assert.deepEqual(events, [
    "create a",
    "join a a",
    "create lobby",
    "join lobby a",
    "create b",
    "join b b",
    "join lobby b",
  ]);
  assert.deepEqual(
    adapter.rooms,
    new Map([["a", new Set(["a"])], ["lobby", new Set(["a", "b"])], [
      "b",
      new Set(["b"]),
    ]]),
  );
  assert.deepEqual(adapter.sids.get("a"), new Set(["a", "lobby"]));
  assert.deepEqual(adapter.socketRooms("b"), new Set(["b", "lobby"]));
  assert.equal(adapter.socketRooms("nobody"), undefined);
});

Deno.test("Adapter.del() emits leave-room, and delete-room when the last member leaves", () => {
  const { adapter } = fixture();
  adapter.addAll("a", new Set(["a", "lobby"]));
  adapter.addAll("b", new Set(["b", "lobby"]));
  const events = recordEvents(adapter);
  adapter.del("a", "lobby");
  adapter.del("a", "lobby");
  adapter.del("b", "lobby");
  adapter.del("c", "nowhere");
  assert.deepEqual(events, ["leave lobby a", "leave lobby b", "delete lobby"]);
  assert.equal(adapter.rooms.has("lobby"), false);
  assert.deepEqual(adapter.socketRooms("a"), new Set(["a"]));
});

Deno.test("Adapter.delAll() removes a socket from every room, its own room included", () => {
  const { adapter } = fixture();
  adapter.addAll("a", new Set(["a", "lobby"]));
  adapter.addAll("b", new Set(["b", "lobby"]));
  const events = recordEvents(adapter);
  adapter.delAll("a");
  adapter.delAll("a");
  assert.deepEqual(events, ["leave a a", "delete a", "leave lobby a"]);
  assert.equal(adapter.sids.has("a"), false);
  assert.deepEqual([...adapter.rooms.keys()], ["lobby", "b"]);
});

Deno.test("Adapter.broadcast() with no rooms reaches every connected socket with one encoding", () => {
  const { adapter, sockets, connect, encoded } = fixture({ name: "/chat" });
  connect("a", "x");
  connect("b");
  const gone = connect("c");
  gone.connected = false;
  adapter.addAll("ghost", new Set(["ghost"])); // in the rooms, not in nsp.sockets
  const packet = event("hi", 1);
  adapter.broadcast(packet, { rooms: new Set(), flags: { compress: true } });
  assert.deepEqual(reached(sockets.values()), ["a", "b"]);
  assert.equal(encoded.length, 1);
  assert.equal(packet.nsp, "/chat");
  assert.deepEqual(JSON.parse(encoded[0]!), { type: 2, nsp: "/chat", data: ["hi", 1] });
  const [a, b] = [sockets.get("a")!, sockets.get("b")!];
  assert.equal(a.delivered.length, 1);
  assert.equal(a.delivered[0]!.frames, b.delivered[0]!.frames, "the same frames for everyone");
  assert.equal(a.delivered[0]!.packet, packet);
  assert.deepEqual(a.delivered[0]!.frames, ['["hi",1]']);
  assert.deepEqual(a.delivered[0]!.flags, { compress: true });
});

Deno.test("Adapter.broadcast() reaches each socket of the target rooms once, minus except rooms", () => {
  const { adapter, sockets, connect, encoded } = fixture();
  connect("a", "red", "blue");
  connect("b", "red");
  connect("c", "blue", "muted");
  connect("d", "green");
  connect("e");
  adapter.broadcast(event("x"), {
    rooms: new Set(["red", "blue", "e", "empty"]),
    except: new Set(["muted", "nobody"]),
  });
  assert.deepEqual(reached(sockets.values()), ["a", "b", "e"]);
  for (const socket of sockets.values()) assert.ok(socket.delivered.length <= 1, socket.id);
  assert.equal(encoded.length, 1);
});

Deno.test("Adapter.broadcast() encodes nothing when no socket matches", () => {
  const { adapter, connect, encoded } = fixture();
  connect("a", "red");
  adapter.broadcast(event("x"), { rooms: new Set(["blue"]) });
  adapter.broadcast(event("x"), { rooms: new Set(), except: new Set(["red"]) });
  assert.deepEqual(encoded, []);
});

Deno.test("Adapter.broadcast() survives a socket that disconnects others while being delivered", () => {
  const { adapter, sockets, connect } = fixture();
  const a = connect("a", "room");
  const b = connect("b", "room");
  a.deliver = (packet, frames, flags) => {
    a.delivered.push({ packet, frames, flags });
    b.disconnect(true);
  };
  adapter.broadcast(event("x"), { rooms: new Set(["room"]) });
  assert.equal(a.delivered.length, 1);
  assert.equal(sockets.has("b"), false);
  assert.deepEqual(adapter.rooms.get("room"), new Set(["a"]));
});

Deno.test("Adapter.broadcastWithAck() registers the ack on each recipient before delivering", () => {
  const { adapter, connect, log } = fixture();
  const a = connect("a", "room");
  connect("b", "room");
  connect("c");
  const answers: unknown[] = [];
  const counts: number[] = [];
  const packet = event("question");
  adapter.broadcastWithAck(
    packet,
    { rooms: new Set(["room"]) },
    (count) => counts.push(count),
    (answer) => answers.push(answer),
  );
  assert.equal(packet.id, 0);
  assert.deepEqual(log, ["ack a 0", "deliver a", "ack b 0", "deliver b"]);
  assert.deepEqual(counts, [2]);
  a.acks.get(0)!("yes");
  assert.deepEqual(answers, ["yes"]);
  assert.equal(a.delivered[0]!.packet.id, 0);

  const second = event("again");
  adapter.broadcastWithAck(second, { rooms: new Set(["nobody"]) }, (n) => counts.push(n), () => {});
  assert.equal(second.id, 1, "each broadcast gets a new id");
  assert.deepEqual(counts, [2, 0]);
});

Deno.test("Adapter.sockets() lists the connected sockets of rooms, or all", async () => {
  const { adapter, connect } = fixture();
  connect("a", "red");
  connect("b", "red", "blue");
  connect("c").connected = false;
  assert.deepEqual(await adapter.sockets(new Set()), new Set(["a", "b"]));
  assert.deepEqual(await adapter.sockets(new Set(["red", "blue"])), new Set(["a", "b"]));
  assert.deepEqual(await adapter.sockets(new Set(["blue"])), new Set(["b"]));
  assert.deepEqual(await adapter.sockets(new Set(["none"])), new Set());
});

Deno.test("Adapter.fetchSockets() describes the sockets rooms and except select", async () => {
  const { adapter, connect } = fixture();
  connect("a", "red");
  connect("b", "red", "vip");
  connect("c");
  const all = await adapter.fetchSockets({ rooms: new Set() });
  assert.deepEqual(all.map((s) => s.id), ["a", "b", "c"]);
  const some = await adapter.fetchSockets({ rooms: new Set(["red"]), except: new Set(["vip"]) });
  assert.deepEqual(some, [{ id: "a", handshake: { auth: {} }, rooms: ["a", "red"], data: "a" }]);
});

Deno.test("Adapter.addSockets() and delSockets() move the selected sockets only", () => {
  const { adapter, connect } = fixture();
  connect("a", "red");
  connect("b", "red", "vip");
  connect("c");
  adapter.addSockets({ rooms: new Set(["red"]), except: new Set(["vip"]) }, ["x", "y"]);
  assert.deepEqual(adapter.rooms.get("x"), new Set(["a"]));
  assert.deepEqual(adapter.rooms.get("y"), new Set(["a"]));
  adapter.addSockets({ rooms: new Set() }, ["z"]);
  assert.deepEqual(adapter.rooms.get("z"), new Set(["a", "b", "c"]));
  adapter.delSockets({ rooms: new Set(["z"]), except: new Set(["c"]) }, ["z", "red"]);
  assert.deepEqual(adapter.rooms.get("z"), new Set(["c"]));
  assert.equal(adapter.rooms.has("red"), false);
  assert.deepEqual(adapter.socketRooms("a"), new Set(["a", "x", "y"]));
});

Deno.test("Adapter.disconnectSockets() disconnects the selected sockets with the close flag", () => {
  const { adapter, sockets, connect } = fixture();
  const a = connect("a", "red");
  const b = connect("b", "red");
  const c = connect("c", "red", "vip");
  const d = connect("d");
  adapter.disconnectSockets({ rooms: new Set(["red"]), except: new Set(["vip"]) }, true);
  assert.deepEqual(a.disconnects, [true]);
  assert.deepEqual(b.disconnects, [true]);
  assert.deepEqual(c.disconnects, []);
  assert.deepEqual([...sockets.keys()], ["c", "d"]);
  adapter.disconnectSockets({ rooms: new Set() }, false);
  assert.deepEqual(c.disconnects, [false]);
  assert.deepEqual(d.disconnects, [false]);
  assert.equal(adapter.rooms.size, 0);
});

Deno.test("Adapter.serverSideEmit() delivers nothing and answers a trailing ack with no responses", () => {
  const { adapter, log } = fixture();
  const answers: unknown[][] = [];
  adapter.serverSideEmit(["hello", 1, (...args: unknown[]) => answers.push(args)]);
  adapter.serverSideEmit(["no ack"]);
  adapter.serverSideEmit([]);
  assert.deepEqual(answers, [[null, []]]);
  assert.deepEqual(log, []);
});

Deno.test("Adapter.serverCount() is 1, and init() and close() do nothing to the rooms", async () => {
  const { adapter, connect } = fixture();
  connect("a");
  await adapter.init();
  assert.equal(await adapter.serverCount(), 1);
  await adapter.close();
  assert.deepEqual(adapter.socketRooms("a"), new Set(["a"]));
});

Deno.test("new Adapter() rejects a bad namespace, clock, log size or recovery duration", () => {
  const nsp = fixture().nsp;
  assert.throws(
    () => new Adapter({ name: "/" } as unknown as AdapterNamespace),
    (e: unknown) => e instanceof TypeError && /^Cannot create Adapter: nsp/.test(e.message),
  );
  assert.throws(
    () => new Adapter(nsp, 5 as unknown as () => number),
    (e: unknown) =>
      e instanceof TypeError && /now must be a function, current value is 5/.test(e.message),
  );
  for (const maxLogSize of [0, -1, 1.5, NaN]) {
    assert.throws(
      () => new Adapter(nsp, Date.now, { maxLogSize }),
      (e: unknown) =>
        e instanceof RangeError && /maxLogSize must be a positive integer/.test(e.message),
      String(maxLogSize),
    );
  }
  for (const maxDisconnectionDuration of [-1, Infinity, NaN]) {
    assert.throws(
      () => new Adapter({ ...nsp, connectionStateRecovery: { maxDisconnectionDuration } }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message.startsWith("Cannot create Adapter: maxDisconnectionDuration"),
    );
  }
  new Adapter({ ...nsp, connectionStateRecovery: { maxDisconnectionDuration: 0 } });
});

Deno.test("Adapter methods reject misuse with TypeError", async () => {
  const { adapter } = fixture({ recovery: 1000 });
  const bad = <T>(value: unknown) => value as T;
  const typeError = (pattern: RegExp) => (e: unknown) =>
    e instanceof TypeError && pattern.test(e.message);
  assert.throws(
    () => adapter.addAll("a", bad(["room"])),
    typeError(/^Cannot add to rooms: rooms must be a Set, current value is \["room"\]$/),
  );
  assert.throws(() => adapter.addAll(bad(1), new Set()), typeError(/id must be a string/));
  assert.throws(
    () => adapter.broadcast(event("x"), bad({ rooms: ["a"] })),
    typeError(/^Cannot broadcast: opts.rooms must be a Set/),
  );
  assert.throws(
    () => adapter.broadcast(event("x"), bad({ rooms: new Set(), except: ["a"] })),
    typeError(/^Cannot broadcast: opts.except must be a Set/),
  );
  assert.throws(
    () => adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: "x" }, { rooms: new Set() }),
    typeError(/^Cannot broadcast: event data must be an array, current value is "x"$/),
  );
  assert.throws(
    () => adapter.broadcastWithAck(event("x"), { rooms: new Set() }, bad(null), () => {}),
    typeError(/clientCountCallback must be a function/),
  );
  assert.throws(
    () => adapter.addSockets({ rooms: new Set() }, bad("room")),
    typeError(/^Cannot add sockets: rooms must be an array/),
  );
  assert.throws(() => adapter.serverSideEmit(bad("x")), typeError(/args must be an array/));
  assert.throws(
    () => adapter.persistSession(bad({ sid: "a", rooms: [] })),
    typeError(/^Cannot persist session: session.pid must be a string, current value is undefined$/),
  );
  assert.throws(
    () => adapter.sockets(bad(new Map())),
    typeError(/^Cannot list sockets: opts.rooms must be a Set, current value is a Map$/),
  );
  await assert.rejects(adapter.restoreSession(bad(1)), typeError(/pid must be a string/));
});
