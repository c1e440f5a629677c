// The recovery store behind the adapter, tested for what the adapter's API cannot show: that
// memory is given back without timers.

import assert from "node:assert/strict";
import { Recovery } from "../../adapter/_recovery.ts";

const MAX = 1000;

function store(maxLogSize = 10_000) {
  let time = 0;
  const recovery = new Recovery(MAX, maxLogSize, () => time);
  return { recovery, tick: (ms: number) => time += ms };
}

const everyone = { rooms: new Set<string>() };
const isLive = () => true;

Deno.test("Recovery.purge() drops expired sessions and packets, oldest first, with no timer", () => {
  const { recovery, tick } = store();
  recovery.record(["a"], everyone, isLive);
  recovery.persist({ sid: "s1", pid: "p1", rooms: ["s1"], data: null }, isLive);
  tick(500);
  recovery.record(["b"], everyone, isLive);
  recovery.persist({ sid: "s2", pid: "p2", rooms: ["s2"], data: null }, isLive);
  assert.equal(recovery.sessionCount, 2);
  assert.equal(recovery.size, 2);
  tick(MAX);
  recovery.purge();
  assert.equal(recovery.sessionCount, 1, "p1 expired");
  assert.equal(recovery.size, 1, "a expired");
  tick(1);
  recovery.purge();
  assert.equal(recovery.sessionCount, 0);
  assert.equal(recovery.size, 0);
  assert.equal(recovery.currentOffset()?.endsWith("2"), true, "offsets keep counting");
});

Deno.test("Recovery.persist() and restore() purge as they go", () => {
  const { recovery, tick } = store();
  recovery.persist({ sid: "s1", pid: "p1", rooms: ["s1"], data: null }, isLive);
  recovery.record(["a"], everyone, isLive);
  tick(MAX + 1);
  recovery.persist({ sid: "s2", pid: "p2", rooms: ["s2"], data: null }, isLive);
  assert.equal(recovery.sessionCount, 1);
  assert.equal(recovery.size, 0);
  tick(MAX + 1);
  assert.equal(recovery.restore("unknown", undefined), null);
  assert.equal(recovery.sessionCount, 0);
});

Deno.test("Recovery.record() purges before it logs", () => {
  const { recovery, tick } = store();
  recovery.record(["a"], everyone, isLive);
  tick(MAX + 1);
  recovery.record(["b"], everyone, isLive);
  assert.equal(recovery.size, 1);
});

Deno.test("Recovery.persist() of a known pid moves it to the back of the expiry queue", () => {
  const { recovery, tick } = store();
  recovery.persist({ sid: "s1", pid: "p1", rooms: ["s1"], data: 1 }, isLive);
  tick(100);
  recovery.persist({ sid: "s2", pid: "p2", rooms: ["s2"], data: null }, isLive);
  tick(100);
  recovery.persist({ sid: "s1", pid: "p1", rooms: ["s1"], data: 2 }, isLive);
  tick(MAX - 100 + 1);
  recovery.purge();
  assert.equal(recovery.sessionCount, 1, "p2 expired behind the re-persisted p1");
  assert.equal(recovery.restore("p1", undefined)?.data, 2);
});

Deno.test("Recovery.record() keeps the log at maxLogSize across compactions", () => {
  const { recovery } = store(1000);
  recovery.persist({ sid: "early", pid: "early", rooms: ["early"], data: null }, isLive);
  const offsets: string[] = [];
  for (let i = 1; i <= 5000; i++) {
    offsets.push(recovery.record([i], everyone, isLive).at(-1) as string);
    assert.equal(recovery.size, Math.min(i, 1000));
  }
  assert.equal(recovery.size, 1000);
  assert.equal(recovery.restore("early", offsets[3998]), null, "packet 4000 is gone");
  for (const [pid, index] of [["a", 3999], ["b", 4499], ["c", 4999]] as const) {
    recovery.persist({ sid: pid, pid, rooms: [pid], data: null }, isLive);
    const session = recovery.restore(pid, offsets[index]);
    assert.ok(session, pid);
    assert.equal(session.missedPackets.length, 4999 - index);
    assert.deepEqual(
      session.missedPackets[0],
      4999 - index ? [index + 2, offsets[index + 1]] : undefined,
    );
  }
});
