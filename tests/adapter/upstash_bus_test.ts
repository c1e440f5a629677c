// The Upstash adapter's bus in process: event streams served by a fake fetch, the log by a fake
// store, time by fake timers. What a dropped subscription missed is read back from the log, in
// order, whatever the new stream sends before its confirmation; the buses of several namespaces
// share one pattern stream.
import assert from "node:assert/strict";
import { UpstashBus } from "../../adapter/_upstash_bus.ts";
import { UpstashHub } from "../../adapter/_upstash_hub.ts";
import { FakeTimers } from "../server/_fakes.ts";

const encoder = new TextEncoder();

/** One event stream the test writes to. */
class Stream {
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly body = new ReadableStream<Uint8Array>({
    start: (controller) => void (this.#controller = controller),
  });

  /** Writes `data: <line>` events, all in one chunk. */
  send(...lines: string[]): void {
    this.#controller.enqueue(encoder.encode(lines.map((line) => `data: ${line}\n\n`).join("")));
  }

  end(): void {
    this.#controller.close();
  }
}

const ENDPOINT = { url: "https://example.upstash.io", token: "t" };
const LIMITS = {
  logSize: 100,
  maxPending: 10,
  maxRetryTime: 1000,
  idleTimeout: 60_000,
  retry: { min: 10, max: 10 },
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("UpstashBus reads back what it missed, also when the new stream sends before its confirmation", async () => {
  const timers = new FakeTimers();
  const streams: Stream[] = [];
  const log: [string, string][] = [];
  const delivered: string[] = [];
  const errors: string[] = [];
  const bus = new UpstashBus({
    redis: {
      eval: () => Promise.reject(new Error("not used")),
      xrange: (_key, start) =>
        Promise.resolve(
          log.filter(([id]) => id >= start).map(([id, m]) => [id, ["m", m]]),
        ),
    },
    ...ENDPOINT,
    fetch: () => {
      const stream = new Stream();
      streams.push(stream);
      return Promise.resolve(new Response(stream.body));
    },
    channel: "ch",
    logKey: "log",
    ...LIMITS,
    timers,
    onMessage: (id, message) => delivered.push(`${id} ${message}`),
    onError: (error) => errors.push(error.message),
  });
  const publish = (id: string, message: string) => log.push([id, message]);
  try {
    bus.start();
    await settle();
    streams[0]!.send("subscribe,ch,1");
    publish("1-0", "a");
    streams[0]!.send("message,ch,1-0 a");
    await settle();
    assert.deepEqual(delivered, ["1-0 a"]);

    // The stream drops; b and c are published meanwhile; the new stream sends c before its
    // confirmation (and d after it, while the log is read back).
    streams[0]!.end();
    await settle();
    publish("2-0", "b");
    publish("3-0", "c");
    timers.tick(10);
    await settle();
    streams[1]!.send("message,ch,3-0 c", "subscribe,ch,1");
    publish("4-0", "d");
    streams[1]!.send("message,ch,4-0 d");
    await settle();
    await settle();
    assert.deepEqual(delivered, ["1-0 a", "2-0 b", "3-0 c", "4-0 d"]);
    assert.deepEqual(errors, ["Subscription to ch ended"]);
  } finally {
    bus.close();
  }
  assert.equal(timers.pending, 0);
});

Deno.test("UpstashBus delivers what was published while its first subscription was set up", async () => {
  const timers = new FakeTimers();
  const streams: Stream[] = [];
  // 1-0 is older than the bus; 2-0 is published after start() and before the confirmation.
  const log: [string, string][] = [["1-0", "old"]];
  const delivered: string[] = [];
  const errors: string[] = [];
  const bus = new UpstashBus({
    redis: {
      eval: (script) =>
        script.includes("XREVRANGE")
          ? Promise.resolve(log.at(-1)?.[0] ?? null)
          : Promise.reject(new Error("not used")),
      xrange: (_key, start) =>
        Promise.resolve(log.filter(([id]) => id >= start).map(([id, m]) => [id, ["m", m]])),
    },
    ...ENDPOINT,
    fetch: () => {
      const stream = new Stream();
      streams.push(stream);
      return Promise.resolve(new Response(stream.body));
    },
    channel: "ch",
    logKey: "log",
    ...LIMITS,
    timers,
    onMessage: (id, message) => delivered.push(`${id} ${message}`),
    onError: (error) => errors.push(error.message),
  });
  try {
    bus.start();
    await settle();
    log.push(["2-0", "early"]);
    streams[0]!.send("subscribe,ch,1");
    log.push(["3-0", "live"]);
    streams[0]!.send("message,ch,3-0 live");
    await settle();
    await settle();
    assert.deepEqual(delivered, ["2-0 early", "3-0 live"]);
    assert.deepEqual(errors, []);
  } finally {
    bus.close();
  }
  assert.equal(timers.pending, 0);
});

Deno.test("UpstashHub: the buses of two namespaces share one pattern stream (',' in the key); each reads back its own log, one joining later from its tail", async () => {
  const timers = new FakeTimers();
  const streams: Stream[] = [];
  const urls: string[] = [];
  const logs = new Map<string, [string, string][]>([["k,1#/a#log", []], ["k,1#/b#log", [[
    "1-0",
    "old",
  ]]]]);
  const delivered: string[] = [];
  const errors: string[] = [];
  const hub = UpstashHub.for({}, "/a", {
    redis: () => Promise.reject(new Error("not used")) as never,
    ...ENDPOINT,
    fetch: (input) => {
      urls.push(String(input));
      const stream = new Stream();
      streams.push(stream);
      return Promise.resolve(new Response(stream.body));
    },
    key: "k,1",
    idleTimeout: 60_000,
    pingInterval: 1000,
    maxPending: 10,
    maxRetryTime: 1000,
    retry: { min: 10, max: 10 },
    timers,
  });
  const bus = (nsp: string) =>
    new UpstashBus({
      redis: {
        eval: (script, keys) =>
          script.includes("XREVRANGE")
            ? Promise.resolve(logs.get(keys[0]!)!.at(-1)?.[0] ?? null)
            : Promise.reject(new Error("not used")),
        xrange: (key, start) =>
          Promise.resolve(
            logs.get(key)!.filter(([id]) => id >= start).map(([id, m]) => [id, ["m", m]]),
          ),
      },
      ...ENDPOINT,
      fetch: () => Promise.reject(new Error("not used")),
      channel: `k,1#${nsp}#`,
      logKey: `k,1#${nsp}#log`,
      ...LIMITS,
      timers,
      stream: hub.logStream(`k,1#${nsp}#`),
      onMessage: (id, message) => delivered.push(`${nsp} ${id} ${message}`),
      onError: (error) => errors.push(`${nsp} ${error.message}`),
    });
  // Appends to a namespace's log; `live` also sends it on the stream.
  const publish = (nsp: string, id: string, message: string, live = true) => {
    logs.get(`k,1#${nsp}#log`)!.push([id, message]);
    if (live) streams.at(-1)!.send(`pmessage,k,1#*,k,1#${nsp}#,${id} ${message}`);
  };
  const a = bus("/a");
  const b = bus("/b");
  try {
    a.start();
    await settle();
    assert.deepEqual(urls, [
      `https://example.upstash.io/psubscribe/${encodeURIComponent("k,1#*")}`,
    ]);
    streams[0]!.send("psubscribe,k,1#*,1");
    publish("/a", "1-0", "a1");
    await settle();
    assert.equal(hub.streams, 1);

    // /b joins the open stream: nothing older than its tail, what comes after.
    b.start();
    await settle();
    await settle();
    publish("/b", "2-0", "b2");
    publish("/a", "2-0", "a2");
    await settle();
    assert.deepEqual(delivered, ["/a 1-0 a1", "/b 2-0 b2", "/a 2-0 a2"]);
    assert.equal(streams.length, 1);

    // The stream drops: each bus reads back its own log from the last id it saw.
    streams[0]!.end();
    await settle();
    publish("/a", "3-0", "a3", false);
    publish("/b", "3-0", "b3", false);
    timers.tick(10);
    await settle();
    streams[1]!.send("psubscribe,k,1#*,1");
    await settle();
    await settle();
    assert.deepEqual(delivered.slice(3).sort(), ["/a 3-0 a3", "/b 3-0 b3"]);
    assert.deepEqual(errors, ["/a Subscription to k,1#* ended", "/b Subscription to k,1#* ended"]);

    // /a leaves: the stream stays for /b.
    a.close();
    publish("/a", "4-0", "a4");
    publish("/b", "4-0", "b4");
    await settle();
    assert.deepEqual(delivered.slice(5), ["/b 4-0 b4"]);
    assert.equal(hub.streams, 1);
  } finally {
    a.close();
    b.close();
  }
  // The last one to leave closed it.
  assert.equal(hub.streams, 0);
  assert.equal(timers.pending, 0);
});
