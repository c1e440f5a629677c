// The alarm-driven timers of HibernatingSocketIODurableObject, on a fake clock: one alarm for
// all timers, heartbeats snapped to the pingInterval grid (pings earlier, timeouts later), other
// timers on time, and the alarm moved or removed when its earliest timer is cleared.
import assert from "node:assert/strict";
import { AlarmTimers } from "../../server/runtime/_workers_hibernation_timers.ts";

function setup(start: number) {
  let now = start;
  const alarms: Array<number | null> = [];
  const timers = new AlarmTimers(
    (time) => void alarms.push(time),
    () => void alarms.push(null),
    () => now,
  );
  timers.grid = 1000;
  return { timers, alarms, at: (time: number) => now = time };
}

Deno.test("alarm timers: pings of sessions opened at different times share one wake-up", () => {
  const { timers, alarms, at } = setup(10_100);
  const fired: string[] = [];
  timers.setTimeout(() => fired.push("a"), 1000, "ping");
  at(10_700);
  timers.setTimeout(() => fired.push("b"), 1000, "ping");
  // Both due at 11 000: the first grid instant after each was asked (never later than asked).
  assert.deepEqual(alarms, [11_000]);
  at(11_000);
  timers.fire();
  assert.deepEqual(fired, ["a", "b"]);
  assert.equal(timers.size, 0);
});

Deno.test("alarm timers: a ping timeout waits for the next grid instant; others fire on time", () => {
  const { timers, alarms, at } = setup(20_000);
  const fired: string[] = [];
  timers.setTimeout(() => fired.push("timeout"), 400, "pingTimeout");
  timers.setTimeout(() => fired.push("ack"), 250);
  assert.deepEqual(alarms, [21_000, 20_250]);
  at(20_250);
  timers.fire();
  assert.deepEqual(fired, ["ack"]);
  assert.deepEqual(alarms.at(-1), 21_000);
  at(21_000);
  timers.fire();
  assert.deepEqual(fired, ["ack", "timeout"]);
});

Deno.test("alarm timers: clearing the earliest timer moves the alarm, clearing the last removes it", () => {
  const { timers, alarms } = setup(0);
  const ack = timers.setTimeout(() => {}, 300);
  const ping = timers.setTimeout(() => {}, 1000, "ping");
  assert.deepEqual(alarms, [300]);
  timers.clearTimeout(ack);
  assert.deepEqual(alarms, [300, 1000]);
  timers.clearTimeout(ping);
  assert.deepEqual(alarms, [300, 1000, null]);
  timers.clearTimeout(ping);
  assert.equal(alarms.length, 3);
});

Deno.test("alarm timers: a timer that throws does not stop the others; what they set is armed", async () => {
  const { timers, alarms, at } = setup(0);
  const fired: string[] = [];
  const failures: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    failures.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    timers.setTimeout(() => {
      throw new Error("boom");
    }, 10);
    timers.setTimeout(() => {
      fired.push("second");
      timers.setTimeout(() => fired.push("later"), 1000, "ping");
    }, 20);
    at(20);
    timers.fire();
    assert.deepEqual(fired, ["second"]);
    assert.equal(alarms.at(-1), 1000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal((failures[0] as Error).message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});
