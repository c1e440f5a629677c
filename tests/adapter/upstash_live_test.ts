// The live-session tracking of the Upstash adapter on its own, with a store that answers when
// the test says so: leaving waits for the writes in flight, so none lands after it.
import assert from "node:assert/strict";
import { LiveSessions } from "../../adapter/_upstash_live.ts";
import type { RedisRecovery } from "../../adapter/_upstash_recovery.ts";
import type { PersistedSession } from "../../adapter/types.ts";

function slowStore() {
  const calls: string[] = [];
  const pending: Array<() => void> = [];
  const write = (name: string) => () => {
    calls.push(`${name} sent`);
    return new Promise<void>((resolve) => {
      pending.push(() => {
        calls.push(`${name} landed`);
        resolve();
      });
    });
  };
  const recovery = {
    track: write("track"),
    untrack: write("untrack"),
    touch: write("touch"),
    leave: write("leave"),
  } as unknown as RedisRecovery;
  return { calls, pending, recovery };
}

Deno.test("LiveSessions: leave() is sent only once the writes in flight landed", async () => {
  const { calls, pending, recovery } = slowStore();
  const session: PersistedSession = { sid: "s1", pid: "p1", rooms: ["s1"], data: {} };
  const live = new LiveSessions({
    recovery,
    uid: "me",
    heartbeatInterval: 1000,
    timers: {
      setTimeout: (fn) => queueMicrotask(fn),
      clearTimeout: () => {},
    },
    describe: () => session,
    report: (error) => assert.fail(String(error)),
  });
  live.changed("s1");
  await Promise.resolve();
  assert.deepEqual(calls, ["track sent"]);
  live.stop();
  const left = live.leave();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(calls, ["track sent"], "leave waits for the track in flight");
  pending.shift()!();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(calls, ["track sent", "track landed", "leave sent"]);
  pending.shift()!();
  await left;
  assert.deepEqual(calls.at(-1), "leave landed");
  live.touch();
  assert.equal(calls.length, 4, "no touch once stopped");
});
