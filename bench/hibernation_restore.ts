// What a hibernating Durable Object's wake-up costs: N official socket.io-client clients on
// WebSockets to the SlowRooms object of tests/workers/_hibernation_worker.ts in workerd (Miniflare
// API), each in one of ten rooms with a small `socket.data`. The round trip of an ack on the warm
// object, then, after the object sat idle past workerd's 10 s eviction, the round trip of the ack
// that wakes it: the difference is the wake-up (a new instance, every connection restored from its
// attachment, and a ping to each). Then one broadcast to every room is timed on the woken object.
//
//   node_modules/.bin/deno run -A bench/hibernation_restore.ts [--clients 200]
//
// workerd and the clients share the machine; the numbers are an order of magnitude, not a budget.

import { io as connectClient, type Socket } from "socket.io-client";
import { startHibernationWorker } from "../tests/workers/_hibernation.ts";

const flag = Deno.args.indexOf("--clients");
const N = flag === -1 ? 200 : Number(Deno.args[flag + 1]);
if (!Number.isInteger(N) || N < 1 || N > 2000) throw new RangeError("--clients: 1 to 2000");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const watchdog = setTimeout(() => {
  // deno-lint-ignore no-console -- the bench's one error line
  console.error("hibernation_restore: overstayed 180 s");
  Deno.exit(1);
}, 180_000);
const worker = await startHibernationWorker();
const clients: Socket[] = [];
try {
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, async (_, k) => {
      const socket = connectClient(worker.url, {
        forceNew: true,
        reconnection: false,
        transports: ["websocket"],
        query: { do: "slow" },
      });
      clients.push(socket);
      await new Promise((resolve) => socket.once("connect", () => resolve(undefined)));
      await socket.timeout(10_000).emitWithAck("join", `room${(i + k) % 10}`);
      await socket.timeout(10_000).emitWithAck("set", { name: `user${i + k}`, score: i + k });
    }));
  }
  const probe = clients[0]!;
  const ask = async () => {
    const start = performance.now();
    const state = await probe.timeout(30_000).emitWithAck("whoami") as { instance: string };
    return { ms: performance.now() - start, instance: state.instance };
  };
  const warm: number[] = [];
  let instance = "";
  for (let i = 0; i < 20; i++) {
    const { ms, instance: name } = await ask();
    warm.push(ms);
    instance = name;
  }
  warm.sort((a, b) => a - b);
  // Right after a heartbeat, 12.5 s of silence: evicted, and the next heartbeat is 2.5 s away.
  await new Promise((resolve) => probe.io.engine.once("ping", () => resolve(undefined)));
  await sleep(12_500);
  const cold = await ask();
  const heard = clients.map((socket) =>
    new Promise((resolve) => socket.once("said", () => resolve(undefined)))
  );
  const start = performance.now();
  for (let room = 0; room < 10; room++) {
    await probe.timeout(10_000).emitWithAck("say", `room${room}`, "hi");
  }
  await Promise.all(heard.slice(1));
  const broadcast = performance.now() - start;
  const disconnected = clients.filter((socket) => !socket.connected).length;
  const rows = [
    ["clients", String(N)],
    ["evicted (new instance)", String(cold.instance !== instance)],
    ["ack round trip, warm object (p50)", `${warm[10]!.toFixed(1)} ms`],
    ["ack round trip that wakes it", `${cold.ms.toFixed(1)} ms`],
    ["wake-up cost (difference)", `${(cold.ms - warm[10]!).toFixed(1)} ms`],
    [`broadcast to 10 rooms, all ${N - 1} others heard`, `${broadcast.toFixed(1)} ms`],
    ["clients disconnected", String(disconnected)],
  ];
  // deno-lint-ignore no-console -- the bench's output
  console.log(["| measure | value |", "|---|---|", ...rows.map((r) => `| ${r.join(" | ")} |`)]
    .join("\n"));
} finally {
  for (const socket of clients) socket.disconnect();
  await worker.stop();
  clearTimeout(watchdog);
}
