// The Upstash adapter's bus in process: event streams served by a fake fetch, the log by a fake
// store, time by fake timers. What a dropped subscription missed is read back from the log, in
// order, whatever the new stream sends before its confirmation.
import assert from "node:assert/strict";
import { UpstashBus } from "../../adapter/_upstash_bus.ts";
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
    url: "https://example.upstash.io",
    token: "t",
    fetch: () => {
      const stream = new Stream();
      streams.push(stream);
      return Promise.resolve(new Response(stream.body));
    },
    channel: "ch",
    logKey: "log",
    logSize: 100,
    maxPending: 10,
    maxRetryTime: 1000,
    idleTimeout: 60_000,
    retry: { min: 10, max: 10 },
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
    url: "https://example.upstash.io",
    token: "t",
    fetch: () => {
      const stream = new Stream();
      streams.push(stream);
      return Promise.resolve(new Response(stream.body));
    },
    channel: "ch",
    logKey: "log",
    logSize: 100,
    maxPending: 10,
    maxRetryTime: 1000,
    idleTimeout: 60_000,
    retry: { min: 10, max: 10 },
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
