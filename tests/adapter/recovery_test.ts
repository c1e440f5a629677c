import assert from "node:assert/strict";
import { PacketType, type RestoredSession } from "../../adapter/mod.ts";
import { event, type Fixture, fixture } from "./_fakes.ts";

const MAX = 120_000;

/** Broadcasts an event and returns the offset it got (its last argument). */
function send(f: Fixture, name: string, rooms: string[] = [], except: string[] = []): string {
  const packet = event(name);
  f.adapter.broadcast(packet, { rooms: new Set(rooms), except: new Set(except) });
  const data = packet.data as unknown[];
  assert.equal(data.length, 2, `${name} got an offset`);
  return data[1] as string;
}

/** The event names of a restored session's missed packets, checking each ends with an offset. */
function names(session: RestoredSession | null): unknown[] {
  assert.ok(session, "the session was restored");
  return session.missedPackets.map((data) => {
    assert.equal(typeof data.at(-1), "string");
    return data[0];
  });
}

/** Connects `sid`, then disconnects it the way a socket does: persist first, then leave. */
function drop(f: Fixture, sid: string, pid: string, connectedAtOffset?: string): void {
  const rooms = [...f.adapter.socketRooms(sid) ?? []];
  f.adapter.persistSession({ sid, pid, rooms, data: { sid }, connectedAtOffset });
  f.adapter.delAll(sid);
  f.sockets.delete(sid);
}

Deno.test("Adapter.broadcast() appends an offset only to non-volatile events without an ack id", () => {
  const f = fixture({ recovery: MAX });
  f.connect("a");
  assert.equal(f.adapter.currentOffset(), undefined);
  const args = ["plain", 1];
  const plain = { type: PacketType.EVENT, nsp: "/", data: args };
  f.adapter.broadcast(plain, { rooms: new Set() });
  const data = plain.data as unknown[];
  assert.equal(data.length, 3);
  const offset = data[2];
  assert.equal(typeof offset, "string");
  assert.equal(f.adapter.currentOffset(), offset);
  assert.deepEqual(args, ["plain", 1], "the caller's array is left alone");
  assert.deepEqual(JSON.parse(f.encoded[0]!).data, ["plain", 1, offset], "encoded with the offset");

  const volatile = event("volatile");
  f.adapter.broadcast(volatile, { rooms: new Set(), flags: { volatile: true } });
  const acked = event("acked");
  f.adapter.broadcastWithAck(acked, { rooms: new Set() }, () => {}, () => {});
  const disconnect = { type: PacketType.DISCONNECT, nsp: "/" };
  f.adapter.broadcast(disconnect, { rooms: new Set() });
  assert.deepEqual(volatile.data, ["volatile"]);
  assert.deepEqual(acked.data, ["acked"]);
  assert.equal("data" in disconnect, false);
  assert.equal(f.adapter.currentOffset(), offset, "nothing else was logged");

  const binary = { type: PacketType.BINARY_EVENT, nsp: "/", data: ["bytes", new Uint8Array(1)] };
  f.adapter.broadcast(binary, { rooms: new Set() });
  assert.equal(binary.data.length, 3);
  assert.notEqual(binary.data[2], offset, "offsets are unique");
  assert.equal(f.adapter.currentOffset(), binary.data[2]);
});

Deno.test("Adapter.broadcast() logs nothing with recovery off", async () => {
  const f = fixture();
  f.connect("a");
  const packet = event("x");
  f.adapter.broadcast(packet, { rooms: new Set() });
  assert.deepEqual(packet.data, ["x"]);
  assert.equal(f.adapter.currentOffset(), undefined);
  f.adapter.persistSession({ sid: "a", pid: "p", rooms: ["a"], data: null });
  assert.equal(await f.adapter.restoreSession("p"), null);
});

Deno.test("Adapter offsets differ between adapters, and one adapter's offsets mean nothing to another", async () => {
  const one = fixture({ recovery: MAX });
  const two = fixture({ recovery: MAX });
  one.connect("a");
  two.connect("a");
  const fromOne = send(one, "x");
  const fromTwo = send(two, "x");
  assert.notEqual(fromOne, fromTwo);
  drop(two, "a", "p", fromTwo);
  assert.equal(await two.adapter.restoreSession("p", fromOne), null);
});

Deno.test("Adapter.restoreSession() returns what was sent after the offset to the session's rooms", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s", "news", "vip");
  f.connect("other", "sport");
  send(f, "before");
  const last = send(f, "last received", ["news"]);
  drop(f, "s", "pid", undefined);
  const toAll = send(f, "to all");
  send(f, "to news", ["news"]);
  send(f, "to sport", ["sport"]);
  send(f, "to s itself", ["s"]);
  send(f, "to all but vip", [], ["vip"]);
  send(f, "to news and sport but vip", ["news", "sport"], ["vip"]);
  send(f, "to sport and vip", ["sport", "vip"]);
  send(f, "to all but sport", [], ["sport"]);
  f.tick(MAX);
  const session = await f.adapter.restoreSession("pid", last);
  assert.ok(session);
  assert.equal(session.sid, "s");
  assert.equal(session.pid, "pid");
  assert.deepEqual(session.rooms, ["s", "news", "vip"]);
  assert.deepEqual(session.data, { sid: "s" });
  assert.deepEqual(names(session), [
    "to all",
    "to news",
    "to s itself",
    "to sport and vip",
    "to all but sport",
  ]);
  assert.deepEqual(session.missedPackets[0], ["to all", toAll], "the data as it was sent");
  assert.equal(await f.adapter.restoreSession("pid", last), null, "restored once only");
});

Deno.test("Adapter.restoreSession() without an offset replays from where the socket connected", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("other");
  send(f, "old");
  f.connect("s");
  const connectedAt = f.adapter.currentOffset();
  assert.ok(connectedAt);
  send(f, "in flight when it dropped", ["s"]);
  drop(f, "s", "pid", connectedAt);
  send(f, "while away");
  const session = await f.adapter.restoreSession("pid");
  assert.deepEqual(names(session), ["in flight when it dropped", "while away"]);
});

Deno.test("Adapter.restoreSession() without an offset or connectedAtOffset replays the whole log", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s", "news");
  const connectedAt = f.adapter.currentOffset();
  assert.equal(connectedAt, undefined);
  drop(f, "s", "pid", connectedAt);
  send(f, "first");
  send(f, "second", ["news"]);
  send(f, "elsewhere", ["sport"]);
  const session = await f.adapter.restoreSession("pid");
  assert.deepEqual(names(session), ["first", "second"]);
});

Deno.test("Adapter.persistSession() without connectedAtOffset falls back on when the socket joined", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("other");
  send(f, "before it joined");
  f.connect("s");
  send(f, "after it joined");
  f.adapter.persistSession({ sid: "s", pid: "pid", rooms: ["s"], data: null });
  f.adapter.delAll("s");
  const session = await f.adapter.restoreSession("pid");
  assert.deepEqual(names(session), ["after it joined"]);
});

Deno.test("Adapter.restoreSession() returns null for an unknown pid", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s");
  drop(f, "s", "pid");
  assert.equal(await f.adapter.restoreSession("other"), null);
  assert.ok(await f.adapter.restoreSession("pid"));
});

Deno.test("Adapter.restoreSession() returns null once maxDisconnectionDuration has passed", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("a");
  f.connect("b");
  drop(f, "a", "pa");
  drop(f, "b", "pb");
  f.tick(MAX);
  assert.ok(await f.adapter.restoreSession("pa"), "still valid at the limit");
  f.tick(1);
  assert.equal(await f.adapter.restoreSession("pb"), null);
});

Deno.test("Adapter.restoreSession() returns null for a malformed, foreign or future offset", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s");
  const offset = send(f, "x");
  const future = offset.slice(0, -1) +
    String.fromCharCode(offset.charCodeAt(offset.length - 1) + 1);
  const candidates: unknown[] = [
    42,
    "",
    "garbage",
    offset + "!",
    future,
    offset.slice(0, 8) + "01",
  ];
  for (const [i, candidate] of candidates.entries()) {
    f.connect(`s${i}`);
    drop(f, `s${i}`, `p${i}`, offset);
    assert.equal(
      await f.adapter.restoreSession(`p${i}`, candidate as string),
      null,
      String(candidate),
    );
  }
  drop(f, "s", "pid", offset);
  assert.deepEqual(await f.adapter.restoreSession("pid", offset), {
    sid: "s",
    pid: "pid",
    rooms: ["s"],
    data: { sid: "s" },
    connectedAtOffset: offset,
    missedPackets: [],
  });
});

Deno.test("Adapter.restoreSession() returns null when packets after the offset expired", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s");
  f.connect("t");
  const last = send(f, "received", ["s"]);
  f.tick(1000);
  send(f, "lost in flight", ["s"]);
  f.tick(MAX - 1000);
  drop(f, "s", "ps", last);
  drop(f, "t", "pt", last);
  f.tick(1001); // "lost in flight" is now older than maxDisconnectionDuration
  send(f, "after");
  assert.equal(await f.adapter.restoreSession("ps", last), null);
  // A session that packet could not reach loses nothing.
  const t = await f.adapter.restoreSession("pt", last);
  assert.deepEqual(names(t), ["after"]);
});

Deno.test("Adapter keeps at most maxLogSize packets, and a session that needed a dropped one is lost", async () => {
  const f = fixture({ recovery: MAX, maxLogSize: 3 });
  for (const id of ["a", "b"]) f.connect(id);
  const last = send(f, "received");
  drop(f, "a", "pa", last);
  drop(f, "b", "pb", last);
  send(f, "1");
  send(f, "2");
  send(f, "3");
  const kept = await f.adapter.restoreSession("pa", last);
  assert.deepEqual(names(kept), ["1", "2", "3"], "three packets fit");
  send(f, "4");
  assert.equal(await f.adapter.restoreSession("pb", last), null, "packet 1 was dropped");
});

Deno.test("Adapter.restoreSession() returns null when a packet to all sent before the drop is gone", async () => {
  const f = fixture({ recovery: MAX, maxLogSize: 2 });
  f.connect("s");
  const last = send(f, "received", ["s"]);
  send(f, "in flight to all");
  drop(f, "s", "ps", last);
  send(f, "after 1");
  send(f, "after 2");
  assert.equal(await f.adapter.restoreSession("ps", last), null);
});

Deno.test("Adapter.persistSession() after the socket left its rooms assumes the worst", async () => {
  const f = fixture({ recovery: MAX, maxLogSize: 1 });
  f.connect("s");
  const last = send(f, "received", ["s"]);
  send(f, "in flight", ["s"]);
  f.adapter.delAll("s");
  f.adapter.persistSession({ sid: "s", pid: "ps", rooms: ["s"], data: null });
  send(f, "after");
  assert.equal(await f.adapter.restoreSession("ps", last), null);
});

Deno.test("Adapter.restoreSession() expires a session persisted while the clock went back", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("a");
  f.connect("b");
  drop(f, "a", "pa");
  f.tick(-500);
  drop(f, "b", "pb");
  f.tick(MAX + 1);
  assert.equal(await f.adapter.restoreSession("pb"), null);
  assert.ok(await f.adapter.restoreSession("pa"));
});

Deno.test("Adapter.restoreSession() survives dropped packets that could not reach the session", async () => {
  const f = fixture({ recovery: MAX, maxLogSize: 2 });
  f.connect("s", "news");
  f.connect("t", "news");
  f.connect("other", "sport");
  const last = send(f, "received", ["news"]);
  send(f, "sport 1", ["sport"]);
  send(f, "sport 2", ["sport"]);
  send(f, "to other", ["other"]);
  drop(f, "s", "ps", last);
  send(f, "news", ["news"]);
  assert.deepEqual(names(await f.adapter.restoreSession("ps", last)), ["news"]);
  // The same gap with one packet for the session in it is fatal.
  send(f, "news 2", ["news"]);
  send(f, "sport 3", ["sport"]);
  send(f, "sport 4", ["sport"]);
  drop(f, "t", "pt", last);
  assert.equal(await f.adapter.restoreSession("pt", last), null);
});

Deno.test("Adapter.persistSession() replaces a session with the same pid, and close() forgets all", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s", "a");
  f.adapter.persistSession({ sid: "s", pid: "pid", rooms: ["s", "a"], data: 1 });
  f.adapter.persistSession({ sid: "s", pid: "pid", rooms: ["s"], data: 2 });
  const session = await f.adapter.restoreSession("pid");
  assert.equal(session?.data, 2);
  assert.deepEqual(session?.rooms, ["s"]);
  f.adapter.persistSession({ sid: "s", pid: "pid", rooms: ["s"], data: 3 });
  await f.adapter.close();
  assert.equal(await f.adapter.restoreSession("pid"), null);
});

Deno.test("Adapter.persistSession() copies the rooms it is given", async () => {
  const f = fixture({ recovery: MAX });
  f.connect("s");
  const rooms = ["s"];
  f.adapter.persistSession({ sid: "s", pid: "pid", rooms, data: null });
  rooms.push("late");
  assert.deepEqual((await f.adapter.restoreSession("pid"))?.rooms, ["s"]);
});

Deno.test("Adapter.restoreSession() ignores dropped packets sent to a room before the session joined it", async () => {
  const f = fixture({ recovery: MAX, maxLogSize: 2 });
  f.connect("s");
  f.connect("x", "news");
  f.connect("other", "sport");
  send(f, "to the old news room", ["news"]);
  f.adapter.delAll("x"); // the room goes…
  f.adapter.addAll("s", new Set(["news"])); // …and comes back with s alone
  send(f, "sport 1", ["sport"]);
  send(f, "sport 2", ["sport"]);
  drop(f, "s", "ps");
  assert.deepEqual(names(await f.adapter.restoreSession("ps")), []);
});
