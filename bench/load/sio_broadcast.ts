// Socket.IO broadcasts: `clients` sockets on `/` (each in room `r<i % rooms>` when there are
// rooms) count the `news` events they receive; a control socket on `/control` asks the server
// for them in passes. A pass reaches every client once: one `io.emit` without rooms, one
// `io.to(room).emit` per room with them. The control socket asks for `batch` passes at a time
// and keeps at most `window` passes under way (asked for, not yet delivered everywhere), so the
// server's send buffers stay bounded. The server's CPU time (utime + stime from /proc) is read
// just before the first measured request and again once the last measured delivery arrived:
// CPU per delivery compares the servers even when the generator, not the server, sets the pace.

import { cpuMeter, cpuTimes } from "./proc.ts";
import {
  connectMany,
  disconnectAll,
  nspPrefix,
  openSocketIo,
  type SocketIoClient,
  socketIoWsUrl,
} from "./socketio_ws.ts";
import type { BroadcastResult, SioBroadcastConfig } from "./types.ts";

const CONNECT_CONCURRENCY = 100;
const JOIN_TIMEOUT_MS = 10000;
const WARMUP_TIMEOUT_MS = 20000;
const CONTROL = "/control";

// Sends `join` with an ack to every socket and resolves with how many were acked in time.
function joinRooms(sockets: SocketIoClient[], rooms: number): Promise<number> {
  let joined = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<number>((resolve) => {
    let pending = sockets.length;
    const settle = () => {
      if (--pending === 0) resolve(joined);
    };
    timer = setTimeout(() => resolve(joined), JOIN_TIMEOUT_MS);
    sockets.forEach(({ engine }, i) => {
      engine.onMessage = (packet) => {
        engine.onMessage = () => {};
        if (packet === "431[]") joined++;
        settle();
      };
      engine.onLost = settle;
      engine.send(`421["join","r${i % rooms}"]`);
    });
  }).finally(() => clearTimeout(timer));
}

/**
 * Runs the scenario.
 *
 * @param config Clients, rooms, passes and pacing.
 * @returns Deliveries per second, server CPU per delivery and CPU shares.
 */
export async function runSioBroadcast(config: SioBroadcastConfig): Promise<BroadcastResult> {
  const url = socketIoWsUrl(config.url);
  const { sockets, errors: openErrors } = await connectMany(
    url,
    config.clients,
    CONNECT_CONCURRENCY,
  );
  let errors = openErrors;
  let receivers = sockets.length;
  if (config.rooms > 0) {
    const joined = await joinRooms(sockets, config.rooms);
    errors += sockets.length - joined;
    receivers = joined;
  }

  // Every `news` event counts; anything else is an error. A waiter wakes once a count is reached.
  const news = `42["news",${JSON.stringify("x".repeat(config.payloadBytes))}]`;
  let delivered = 0;
  let wakeAt = Infinity;
  let wake = () => {};
  for (const { engine } of sockets) {
    engine.onMessage = (packet) => {
      if (packet === news) {
        if (++delivered >= wakeAt) wake();
      } else errors++;
    };
    engine.onLost = () => errors++;
  }
  const until = (target: number, deadline: number) =>
    new Promise<boolean>((resolve) => {
      if (delivered >= target) return resolve(true);
      const timer = setTimeout(() => {
        wakeAt = Infinity;
        resolve(false);
      }, Math.max(0, deadline - performance.now()));
      wakeAt = target;
      wake = () => {
        wakeAt = Infinity;
        clearTimeout(timer);
        resolve(true);
      };
    });

  const control = await openSocketIo(url, CONTROL);
  const prefix = nspPrefix(CONTROL);
  const payload = JSON.stringify("x".repeat(config.payloadBytes));
  let ackId = 0;
  const request = (count: number) => {
    const event = config.rooms > 0
      ? `["roomcast",{"count":${count},"rooms":${config.rooms},"payload":${payload}}]`
      : `["fanout",{"count":${count},"payload":${payload}}]`;
    control.engine.send(`42${prefix}${++ackId}${event}`);
  };

  // Asks for `passes` passes, paced by the window, and waits for them all to be delivered.
  const run = async (passes: number, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    const base = delivered;
    for (let asked = 0; asked < passes;) {
      const count = Math.min(config.batch, passes - asked);
      const ready = base + (asked + count - config.window) * receivers;
      if (!await until(ready, deadline)) return false;
      request(count);
      asked += count;
    }
    return await until(base + passes * receivers, deadline);
  };

  await run(config.warmupPasses, WARMUP_TIMEOUT_MS);
  const base = delivered;
  const meter = cpuMeter(config.serverPid);
  const before = cpuTimes(config.serverPid);
  const started = performance.now();
  await run(config.passes, config.timeoutMs);
  const seconds = (performance.now() - started) / 1000;
  const after = cpuTimes(config.serverPid);
  const serverUserSeconds = after.user - before.user;
  const serverSystemSeconds = after.system - before.system;
  const serverCpuSeconds = serverUserSeconds + serverSystemSeconds;
  const cpu = meter();
  const deliveries = delivered - base;
  const expected = config.passes * receivers;

  await disconnectAll([...sockets, control]);
  return {
    scenario: "sio-broadcast",
    clients: receivers,
    rooms: config.rooms,
    passes: config.passes,
    expected,
    deliveries,
    seconds,
    deliveriesPerSec: deliveries / seconds,
    serverCpuSeconds,
    serverUserSeconds,
    serverSystemSeconds,
    serverCpuPerDeliveryUs: serverCpuSeconds / Math.max(1, deliveries) * 1e6,
    errors,
    cpu,
  };
}
