// Client benchmarks: edgeio's Socket.IO client against the official socket.io-client 4.8.4, on
// the client's own hot path with no network. Each side runs its real Manager, Socket and engine
// socket over the websocket transport; only the WebSocket itself is fake: it records what the
// transport hands to `send()` and lets the bench push frames into `onmessage`.
//
//   deno bench --allow-read --allow-env bench/client_bench.ts
//
// Where each side's WebSocket comes from: ours uses the global `WebSocket`, replaced by the fake
// while the client connects. Under Deno, `socket.io-client` resolves to its Node build, whose
// websocket transport opens a `ws` WebSocket; the official side runs that very transport
// (engine.io-client's `NodeWebSocket`) with its `createSocket()` answering the fake instead.
// That is what `npm:socket.io-client` runs under Deno: the "node" export condition picks the
// build with `debug()` calls (silent unless DEBUG is set), the transport measures each frame
// against `perMessageDeflate.threshold`, and each decoded packet is dispatched on
// `process.nextTick`; ours dispatches at once.
//
// Rows (each a `group` with the official client as the baseline, so `deno bench` prints the
// ratio; one iteration handles BATCH events):
// - emit: `socket.emit("event", {…})` until the transport has handed the frame to `send()`;
// - emit binary: the same with a 1 KB attachment (a text frame and a binary frame);
// - receive: a `42["event",{…}]` frame decoded and dispatched to a listener;
// - receive binary: `451-[…]` and its attachment decoded, reassembled and dispatched.
// Before any bench runs, every row is checked once: both sides write identical frames, and both
// listeners get equal arguments, so no row compares different work.
import assert from "node:assert/strict";
import { NodeWebSocket } from "engine.io-client";
import { io as officialIo } from "socket.io-client";
import { Manager } from "../client/mod.ts";

/** Events per bench iteration: both clients batch writes until the transport drains. */
const BATCH = 100;

const HANDSHAKE = JSON.stringify({
  sid: "x",
  upgrades: [],
  // Long enough that no heartbeat check fires during the run (both clients check on write).
  pingInterval: 1_000_000_000,
  pingTimeout: 1_000_000_000,
  maxPayload: 1_000_000,
});

const OBJECT = { id: 42, user: "alice", text: "hello world", tags: ["a", "b"], ok: true };
const OBJECT_FRAME = `42${JSON.stringify(["event", OBJECT])}`;
const BODY = new Uint8Array(1024);
for (let i = 0; i < BODY.length; i++) BODY[i] = (i * 31 + 7) & 255;
const BINARY_TEXT_FRAME = '451-["event",{"name":"a.bin","body":{"_placeholder":true,"num":0}}]';

// ---------------------------------------------------------------------------------------------
// The fake WebSocket, one shape for both sides: the standard event-handler properties, `send()`
// and `close()`, and `_socket` (the `ws` field engine.io-client unrefs with `autoUnref`).

type Frame = string | ArrayBuffer | ArrayBufferView;

class FakeWebSocket {
  static last: FakeWebSocket | undefined;
  readonly url: string;
  binaryType = "blob";
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: Frame }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly _socket = { unref() {} };
  /** Frames written since the last `take()`. */
  frames: Frame[] = [];
  #want = 0;
  #done: (() => void) | undefined;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.last = this;
  }

  send(data: Frame): void {
    this.frames.push(data);
    if (this.frames.length === this.#want) this.#done?.();
  }

  close(): void {
    this.readyState = 3;
  }

  /** Resolves once `count` frames are written, and clears them. */
  written(count: number): Promise<Frame[]> {
    if (this.frames.length >= count) return Promise.resolve(this.take());
    const { promise, resolve } = Promise.withResolvers<Frame[]>();
    this.#want = count;
    this.#done = () => {
      this.#want = 0;
      this.#done = undefined;
      resolve(this.take());
    };
    return promise;
  }

  take(): Frame[] {
    const frames = this.frames;
    this.frames = [];
    return frames;
  }

  push(data: Frame): void {
    this.onmessage!({ data });
  }
}

interface Client {
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly connected: boolean;
}

/** Opens the fake socket and runs the handshake: the open packet, then the CONNECT answer. */
async function handshake(ws: FakeWebSocket, client: Client): Promise<void> {
  ws.onopen!();
  ws.push(`0${HANDSHAKE}`);
  assert.deepEqual(await ws.written(1), ["40"]);
  // The official client dispatches each decoded packet on the next tick, ours at once.
  const connected = new Promise<void>((resolve) => client.on("connect", () => resolve()));
  ws.push('40{"sid":"y"}');
  await connected;
  assert.equal(client.connected, true);
}

// Timers made while connecting (the connect timeout, the heartbeat) must not keep `deno bench`
// alive once the benches are done; neither side makes a timer on the paths measured here.
async function withUnrefTimers<T>(fn: () => Promise<T>): Promise<T> {
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const id = original(...args);
    Deno.unrefTimer(id);
    return id;
  }) as typeof setTimeout;
  try {
    return await fn();
  } finally {
    globalThis.setTimeout = original;
  }
}

// ---------------------------------------------------------------------------------------------
// The two clients, connected.

async function connectOurs(): Promise<{ client: Client; ws: FakeWebSocket }> {
  const original = globalThis.WebSocket;
  globalThis.WebSocket = FakeWebSocket as unknown as typeof WebSocket;
  try {
    return await withUnrefTimers(async () => {
      const manager = new Manager("http://bench.invalid", {
        transports: ["websocket"],
        reconnection: false,
      });
      const client = manager.socket("/") as unknown as Client;
      const ws = FakeWebSocket.last!;
      await handshake(ws, client);
      return { client, ws };
    });
  } finally {
    globalThis.WebSocket = original;
  }
}

// engine.io-client's Node websocket transport, opening the fake instead of a `ws` WebSocket.
// Its typings declare `createSocket` with `ws` types; the override only returns the fake.
class FakeNodeWebSocket extends (NodeWebSocket as unknown as new (...args: unknown[]) => object) {
  createSocket(uri: string): FakeWebSocket {
    return new FakeWebSocket(uri);
  }
}

async function connectOfficial(): Promise<{ client: Client; ws: FakeWebSocket }> {
  return await withUnrefTimers(async () => {
    const client = officialIo("http://bench.invalid", {
      transports: [FakeNodeWebSocket] as unknown as string[],
      reconnection: false,
      forceNew: true,
    }) as unknown as Client;
    const ws = FakeWebSocket.last!;
    await handshake(ws, client);
    return { client, ws };
  });
}

const ours = await connectOurs();
const official = await connectOfficial();

// ---------------------------------------------------------------------------------------------
// The work of each row, the same function for both sides.

/** Everything the benches produce ends up here, so no work can be dropped as dead. */
let sink = 0;

async function emitBatch(side: typeof ours, args: unknown[], framesPerEvent: number) {
  for (let i = 0; i < BATCH; i++) side.client.emit("event", ...args);
  const frames = await side.ws.written(BATCH * framesPerEvent);
  sink += frames.length;
  return frames;
}

// The listener counts calls and keeps the last arguments; a batch resolves on its last call
// (the official client dispatches each packet on the next tick, ours at once).
function receiver(side: typeof ours) {
  let count = 0;
  let want = 0;
  let last: unknown[] = [];
  let done: (() => void) | undefined;
  side.client.on("event", (...args: unknown[]) => {
    last = args;
    if (++count === want) done!();
  });
  return async (frames: Frame[]): Promise<unknown[]> => {
    count = 0;
    want = BATCH;
    const { promise, resolve } = Promise.withResolvers<void>();
    done = resolve;
    for (let i = 0; i < BATCH; i++) for (const frame of frames) side.ws.push(frame);
    await promise;
    sink += last.length;
    return last;
  };
}

const receiveOurs = receiver(ours);
const receiveOfficial = receiver(official);

// What each WebSocket delivers for a binary frame: ours asks for "arraybuffer"; the official
// Node build keeps `ws`'s default "nodebuffer".
assert.equal(ours.ws.binaryType, "arraybuffer");
assert.equal(official.ws.binaryType, "nodebuffer");
const OURS_BINARY_FRAMES: Frame[] = [BINARY_TEXT_FRAME, BODY.slice().buffer];
const OFFICIAL_BINARY_FRAMES: Frame[] = [
  BINARY_TEXT_FRAME,
  // deno-lint-ignore no-node-globals -- what `ws` hands the Node build for a binary message
  Buffer.from(BODY),
];

// ---------------------------------------------------------------------------------------------
// Checks: identical frames written, equal arguments received.

const bytesOf = (frame: Frame): number[] =>
  typeof frame === "string"
    ? [...new TextEncoder().encode(frame)]
    : frame instanceof ArrayBuffer
    ? [...new Uint8Array(frame)]
    : [...new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)];

{
  const a = await emitBatch(ours, [OBJECT], 1);
  const b = await emitBatch(official, [OBJECT], 1);
  assert.equal(a.length, BATCH);
  assert.deepEqual(a, b);
  assert.equal(a[0], OBJECT_FRAME);

  const binary = { name: "a.bin", body: BODY };
  const c = await emitBatch(ours, [binary], 2);
  const d = await emitBatch(official, [binary], 2);
  assert.equal(c.length, 2 * BATCH);
  assert.equal(c[0], BINARY_TEXT_FRAME);
  assert.deepEqual(c.map(bytesOf), d.map(bytesOf));
  assert.deepEqual(bytesOf(c[1]!), [...BODY]);

  assert.deepEqual(await receiveOurs([OBJECT_FRAME]), [OBJECT]);
  assert.deepEqual(await receiveOfficial([OBJECT_FRAME]), [OBJECT]);

  const [e] = await receiveOurs(OURS_BINARY_FRAMES) as [{ name: string; body: ArrayBuffer }];
  const [f] = await receiveOfficial(OFFICIAL_BINARY_FRAMES) as [{ name: string; body: Uint8Array }];
  assert.equal(e.name, "a.bin");
  assert.equal(f.name, "a.bin");
  assert.deepEqual(bytesOf(e.body), [...BODY]);
  assert.deepEqual(bytesOf(f.body), [...BODY]);
}

// ---------------------------------------------------------------------------------------------
// Benches.

const BINARY_ARGS = [{ name: "a.bin", body: BODY }];

// A fixed, generous iteration count: batches take a few hundred microseconds, and the adaptive
// default stops early enough for one GC pause or a busy neighbour to move the average.
const RUNS = { n: 2000, warmup: 200 };

function row(group: string, official: () => Promise<unknown>, ours: () => Promise<unknown>) {
  Deno.bench({
    name: "official",
    group,
    baseline: true,
    ...RUNS,
    fn: async () => void await official(),
  });
  Deno.bench({ name: "ours", group, ...RUNS, fn: async () => void await ours() });
}

row(
  `emit ×${BATCH}`,
  () => emitBatch(official, [OBJECT], 1),
  () => emitBatch(ours, [OBJECT], 1),
);
row(
  `emit binary 1 KB ×${BATCH}`,
  () => emitBatch(official, BINARY_ARGS, 2),
  () => emitBatch(ours, BINARY_ARGS, 2),
);
row(
  `receive ×${BATCH}`,
  () => receiveOfficial([OBJECT_FRAME]),
  () => receiveOurs([OBJECT_FRAME]),
);
row(
  `receive binary 1 KB ×${BATCH}`,
  () => receiveOfficial(OFFICIAL_BINARY_FRAMES),
  () => receiveOurs(OURS_BINARY_FRAMES),
);

// The sink is read once at the end, so its value is observable and must be computed.
globalThis.addEventListener("unload", () => {
  if (sink < 0) throw new Error("unreachable: the sink only grows");
});
