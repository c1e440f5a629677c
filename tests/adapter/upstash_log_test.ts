// The Upstash adapter's log in process, with a fake store and fake timers: reading XRANGE in
// both of the SDK's shapes and page by page, and the publisher's accounting of what it gives up.
import assert from "node:assert/strict";
import { LogPublisher, readSince, streamEntries } from "../../adapter/_upstash_log.ts";
import { FakeTimers } from "../server/_fakes.ts";

Deno.test("streamEntries() reads Redis' XRANGE arrays and the SDK's deserialized objects", () => {
  const raw = [["1-0", ["m", "a"]], ["1-1", ["x", "y", "m", "b"]], ["2-0", ["x", "y"]], "junk"];
  assert.deepEqual(streamEntries(raw), [["1-0", "a"], ["1-1", "b"]]);
  const parsed = { "1-0": { m: "a" }, "1-1": { m: 12 }, "2-0": { m: "c" } };
  assert.deepEqual(streamEntries(parsed), [["1-0", "a"], ["2-0", "c"]]);
  assert.deepEqual(streamEntries(null), []);
});

Deno.test("readSince() reads the whole log after an id, a page at a time", async () => {
  const log = [...Array(2500).keys()].map((n) => [`${n + 1}-0`, ["m", `message ${n + 1}`]]);
  const calls: string[] = [];
  const redis = {
    xrange(_key: string, start: string, _end: string, count?: number): Promise<unknown> {
      calls.push(start);
      const exclusive = start.startsWith("(");
      const from = Number(start.replace("(", "").split("-")[0]);
      const page = log.filter(([id]) => {
        const ms = Number((id as string).split("-")[0]);
        return exclusive ? ms > from : ms >= from;
      });
      return Promise.resolve(page.slice(0, count));
    },
  };
  const entries = await readSince(redis, "log", "10-0");
  assert.equal(entries.length, 2491);
  assert.deepEqual(entries[0], ["10-0", "message 10"]);
  assert.deepEqual(entries.at(-1), ["2500-0", "message 2500"]);
  assert.deepEqual(calls, ["10-0", "(1009-0", "(2009-0"]);
});

Deno.test("LogPublisher bounds what waits, skips heartbeats behind messages, and reports every loss", async () => {
  const timers = new FakeTimers();
  const reported: [string, number][] = [];
  let fail = true;
  const evals: string[] = [];
  let next = 0;
  const publisher = new LogPublisher({
    redis: {
      eval(_script, _keys, args) {
        evals.push(args[1]!);
        return fail
          ? Promise.reject(new Error("Service Unavailable"))
          : Promise.resolve(`${++next}-0`);
      },
      xrange: () => Promise.resolve([]),
    },
    key: "log",
    channel: "ch",
    size: 100,
    maxPending: 3,
    maxRetryTime: 60_000,
    timers,
    retry: { min: 10, max: 10 },
    onError: (error, lost) => reported.push([error.message, lost]),
  });
  const settled: string[] = [];
  const track = (name: string, promise: Promise<string | undefined>) =>
    promise.then((id) => settled.push(`${name} ${id}`), () => settled.push(`${name} failed`));
  track("a", publisher.publish("a"));
  track("heartbeat", publisher.publish("beat", true));
  track("b", publisher.publish("b"));
  track("c", publisher.publish("c"));
  track("d", publisher.publish("d"));
  assert.equal(publisher.pending, 3);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(settled, ["heartbeat undefined", "d failed"]);
  assert.equal(publisher.failing, true);
  assert.deepEqual(reported, [
    ["Cannot publish: 3 messages already wait for the store (maxPending)", 1],
    ["Service Unavailable", 0],
  ]);

  // The store is back: the three go out in order.
  fail = false;
  timers.tick(10);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(settled.slice(2), ["a 1-0", "b 2-0", "c 3-0"]);
  assert.equal(publisher.failing, false);
  assert.equal(publisher.pending, 0);

  // Closing gives up what waits and reports it (a heartbeat is not counted).
  fail = true;
  track("e", publisher.publish("e"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  track("late heartbeat", publisher.publish("beat", true));
  assert.equal(publisher.pending, 1);
  publisher.close();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(settled.slice(5), ["late heartbeat undefined", "e failed"]);
  assert.deepEqual(reported.at(-1), ["Cannot publish: the adapter closed", 1]);
  assert.equal(timers.pending, 0);
});
