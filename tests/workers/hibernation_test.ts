// HibernatingSocketIODurableObject in real workerd (Miniflare API), driven by official
// socket.io-client 4.8.4 clients. workerd evicts a Durable Object after 10 idle seconds; the
// fixture's SlowRooms pings every 15 s, so it is evicted between heartbeats. Each instance names
// itself in its constructor and keeps an in-memory value: a new name and a lost value prove the
// eviction; same socket ids, session ids, rooms, data and no disconnect prove the restore.
import assert from "node:assert/strict";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { once } from "../_wait.ts";
import { startHibernationWorker } from "./_hibernation.ts";
import { connectV2, type V2Socket } from "../legacy/mod.ts";

const WAIT = 10_000;

interface Tracked {
  socket: ClientSocket;
  pings: number[];
  disconnects: string[];
  errors: unknown[];
}

async function connect(
  url: string,
  object: "fast" | "slow",
  transports: ("polling" | "websocket")[],
  all: Tracked[],
): Promise<Tracked> {
  const socket = connectClient(url, {
    forceNew: true,
    reconnection: false,
    transports,
    query: { do: object },
  });
  const tracked: Tracked = { socket, pings: [], disconnects: [], errors: [] };
  all.push(tracked);
  socket.on("disconnect", (reason) => tracked.disconnects.push(reason));
  socket.on("connect_error", (error) => tracked.errors.push(error));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect")), WAIT);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.io.engine.on("ping", () => tracked.pings.push(Date.now()));
  return tracked;
}

/** Polls `check` every 50 ms until it holds, or fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type State = {
  instance: string;
  memo: string;
  connections: number;
  recovered: boolean;
  id: string;
  sid: string;
  data: unknown;
  rooms: string[];
  size: number;
  issued: number;
  query: string;
};
const whoami = (t: Tracked) => t.socket.timeout(WAIT).emitWithAck("whoami") as Promise<State>;

// A Socket.IO v2 client (EIO=3: the client pings, every 15 s) on its own SlowRooms object: the
// object is evicted in the silence between two of its pings and woken by the next one.
async function v2Scenario(url: string, clients: V2Socket[]): Promise<void> {
  const client = connectV2(`${url}/`, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    query: { do: "v2" },
  });
  clients.push(client);
  const disconnects: unknown[] = [];
  client.on("disconnect", (reason) => disconnects.push(reason));
  const ask = (event: string, ...args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack to ${event}`)), WAIT);
      client.emit(event, ...args, (answer: unknown) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("v2: no connect")), WAIT);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  assert.deepEqual(await ask("join", "old"), ["old"]);
  await ask("set", { name: "v2" });
  await ask("memo", "only in memory");
  const before = await ask("whoami") as State;
  let pongs = 0;
  client.io.engine.on("pong", () => pongs++);
  await until(() => pongs >= 1, 25_000, "v2: a ping answered");
  const after = await ask("whoami") as State;
  assert.notEqual(after.instance, before.instance, "v2: evicted");
  assert.deepEqual(
    [after.memo, after.recovered, after.id, after.sid, after.rooms, after.data],
    ["fresh", true, client.io.engine.id, client.io.engine.id, ["old"], { name: "v2" }],
  );
  assert.equal(before.id, client.id);
  assert.deepEqual(disconnects, []);
  assert.ok(client.connected);
}

Deno.test({
  name: "hibernation in workerd: evicted between heartbeats, rooms, data and ids survive",
  // One eviction waits out workerd's 10 idle seconds twice: about 45 s.
  sanitizeResources: true,
}, async () => {
  const worker = await startHibernationWorker();
  const all: Tracked[] = [];
  const extra: Tracked[] = [];
  const legacy: V2Socket[] = [];
  const v2Done = v2Scenario(worker.url, legacy);
  // Failures are reported by the await below; this keeps an early one from going unhandled.
  v2Done.catch(() => {});
  try {
    const red1 = await connect(worker.url, "slow", ["websocket"], all);
    const red2 = await connect(worker.url, "slow", ["websocket"], all);
    const blue = await connect(worker.url, "slow", ["websocket"], all);
    // Upgraded from polling: its WebSocket carries the session from the upgrade on.
    const up = await connect(worker.url, "slow", ["polling", "websocket"], all);
    await until(() => up.socket.io.engine.transport.name === "websocket", WAIT, "upgrade");
    const join = (t: Tracked, room: string) => t.socket.timeout(WAIT).emitWithAck("join", room);
    assert.deepEqual(await join(red1, "red"), ["red"]);
    assert.deepEqual(await join(red1, "team"), ["red", "team"]);
    assert.deepEqual(await join(red2, "red"), ["red"]);
    assert.deepEqual(await join(blue, "blue"), ["blue"]);
    assert.deepEqual(await join(up, "team"), ["team"]);
    // Its data does not fit in the attachment: told at once, closed when the object is evicted.
    const big = await connect(worker.url, "slow", ["websocket"], extra);
    const failed = once(big.socket, "failed", WAIT);
    await big.socket.timeout(WAIT).emitWithAck("set", { blob: "x".repeat(3000) });
    assert.equal((await failed)[0], "HibernationStateError");
    await red1.socket.timeout(WAIT).emitWithAck("set", { name: "ada", n: [1, 2], é: "ünï" });
    await red2.socket.timeout(WAIT).emitWithAck("set", { name: "bob" });
    await red1.socket.timeout(WAIT).emitWithAck("memo", "only in memory");
    const before = await Promise.all([red1, red2, blue, up].map(whoami));
    assert.equal(before[0]!.memo, "only in memory");
    assert.ok(before.every((s) => s.instance === before[0]!.instance && !s.recovered));
    const ids = all.map((t) => [t.socket.id, t.socket.io.engine.id]);

    // Two heartbeats later, a full 15 s interval passed with nothing running: evicted, and the
    // alarm woke a new instance that made the sockets again and pinged them.
    const pings = red1.pings.length;
    await until(() => red1.pings.length >= pings + 2, 40_000, "two heartbeats");
    await until(() => all.every((t) => t.pings.length >= pings + 2), 2000, "everyone pinged");
    const after = await Promise.all([red1, red2, blue, up].map(whoami));
    const woken = after[0]!.instance;
    assert.notEqual(woken, before[0]!.instance, "a new instance: the object was evicted");
    assert.deepEqual(after.map((s) => s.memo), ["fresh", "fresh", "fresh", "fresh"]);
    assert.deepEqual(after.map((s) => s.recovered), [true, true, true, true]);
    assert.deepEqual(after.map((s) => [s.id, s.sid]), ids);
    assert.deepEqual(after.map((s) => s.rooms), [["red", "team"], ["red"], ["blue"], ["team"]]);
    assert.deepEqual(after.map((s) => s.data), [
      { name: "ada", n: [1, 2], é: "ünï" },
      { name: "bob" },
      {},
      {},
    ]);
    assert.equal(after[0]!.size, 4);
    // The handshake's time and URL query are kept (headers and auth are not).
    assert.deepEqual(after.map((s) => [s.issued, s.query]), before.map((s) => [s.issued, "slow"]));
    // `connection` listeners ran again for the four restored sockets.
    assert.equal(after[0]!.connections, 4);

    // A room broadcast reaches the room and nobody else; acks work both ways.
    const strays: unknown[] = [];
    blue.socket.on("said", (...args) => strays.push(args));
    const heard = once(red2.socket, "said", WAIT);
    assert.equal(await red1.socket.timeout(WAIT).emitWithAck("say", "red", "hello"), 2);
    assert.deepEqual(await heard, ["red", "hello", "ada"]);
    red2.socket.on(
      "question",
      (text: string, ack: (answer: string) => void) => ack(`${text} pong`),
    );
    assert.equal(await red2.socket.timeout(WAIT).emitWithAck("ask"), "ping? pong");
    assert.equal(await blue.socket.timeout(WAIT).emitWithAck("say", "blue", "alone"), 1);
    assert.deepEqual(strays, []);

    // Evicted again, woken this time by a message (after 1.5 s of async work, 12 s idle; before the next heartbeat).
    const last = red1.pings.at(-1)!;
    const next = last + 15_000;
    if (Date.now() + 13_500 > next - 1000) {
      await until(() => red1.pings.at(-1)! > last, 20_000, "ping");
    }
    // socket.data changed by async work just before the silence is saved too.
    blue.socket.emit("later", "kept");
    await up.socket.timeout(WAIT).emitWithAck("slowly", "answered");
    await sleep(12_000);
    const third = await whoami(red2);
    assert.notEqual(third.instance, woken, "evicted again, woken by a message");
    assert.equal(third.recovered, true);
    assert.deepEqual([third.rooms, third.data], [["red"], { name: "bob" }]);
    assert.deepEqual((await whoami(blue)).data, { later: "kept" });
    assert.deepEqual((await whoami(up)).data, { slowly: "answered" });
    const again = [once(red1.socket, "said", WAIT), once(up.socket, "said", WAIT)];
    assert.equal(await red2.socket.timeout(WAIT).emitWithAck("say", "team", "x"), 2);
    assert.deepEqual(await Promise.all(again), [["team", "x", "bob"], ["team", "x", "bob"]]);

    for (const t of all) {
      assert.deepEqual(t.disconnects, [], "no client was ever disconnected");
      assert.deepEqual(t.errors, []);
      assert.ok(t.socket.connected);
    }
    assert.deepEqual(all.map((t) => [t.socket.id, t.socket.io.engine.id]), ids);
    assert.deepEqual(big.disconnects, ["transport close"]);
    await v2Done;
  } finally {
    for (const t of [...all, ...extra]) t.socket.disconnect();
    for (const client of legacy) client.close();
    await v2Done.catch(() => {});
    await worker.stop();
  }
});

Deno.test("hibernation in workerd: one alarm drives heartbeats; silent clients are closed; limits", async () => {
  const worker = await startHibernationWorker();
  const all: Tracked[] = [];
  let raw: WebSocket | undefined;
  try {
    const a = await connect(worker.url, "fast", ["websocket"], all);
    const b = await connect(worker.url, "fast", ["polling", "websocket"], all);
    const polling = await connect(worker.url, "fast", ["polling"], all);
    await until(() => b.socket.io.engine.transport.name === "websocket", WAIT, "upgrade");
    assert.deepEqual(await a.socket.timeout(WAIT).emitWithAck("join", "x"), ["x"]);
    assert.deepEqual(await polling.socket.timeout(WAIT).emitWithAck("join", "x"), ["x"]);

    // Several intervals: every client is pinged on the shared 1 s grid and stays connected.
    const start = a.pings.length;
    await until(() => all.every((t) => t.pings.length >= start + 4), 8000, "four heartbeats");
    for (const t of all) {
      for (const at of t.pings.slice(start)) {
        const phase = at % 1000;
        assert.ok(phase < 450, `ping at ${phase} ms past the second: not on the grid`);
      }
      assert.deepEqual(t.disconnects, []);
    }
    // The polling client works through the object as before.
    const heard = once(a.socket, "said", WAIT);
    assert.equal(await polling.socket.timeout(WAIT).emitWithAck("say", "x", "from polling"), 2);
    assert.deepEqual((await heard).slice(0, 2), ["x", "from polling"]);

    // socket.data over the 2048-byte attachment: a clear error, the socket keeps working.
    const failed = once(b.socket, "failed", WAIT);
    await b.socket.timeout(WAIT).emitWithAck("set", { blob: "x".repeat(3000) });
    const [name, message] = await failed as [string, string];
    assert.equal(name, "HibernationStateError");
    assert.match(message, /over the WebSocket attachment limit of 2048/);
    assert.equal(((await whoami(b)).data as { blob: string }).blob.length, 3000);

    // A client that never answers pings is closed by the alarm, not by a per-socket timer.
    const url = `${worker.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket&do=fast`;
    raw = new WebSocket(url);
    const frames: string[] = [];
    const closed = new Promise<number>((resolve) => raw!.onclose = (event) => resolve(event.code));
    raw.onmessage = (event) => {
      frames.push(String(event.data));
      if (String(event.data).startsWith("0")) raw!.send("40");
    };
    const opened = Date.now();
    const code = await Promise.race([closed, sleep(6000).then(() => -1)]);
    assert.notEqual(code, -1, "the silent client was not closed within 6 s");
    assert.ok(Date.now() - opened <= 3500, "closed after one interval and its timeout");
    assert.ok(frames.includes("2"), `it was pinged first: ${frames}`);
    for (const t of all) assert.deepEqual(t.disconnects, []);
  } finally {
    raw?.close();
    for (const t of all) t.socket.disconnect();
    await worker.stop();
  }
});
