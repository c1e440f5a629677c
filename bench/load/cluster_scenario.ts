// One side's run of bench/cluster_load.ts, against servers A and B already running:
//   1. probe: A broadcasts every 100 ms until every client (on B, and the one on A) got one,
//      so B's subscription is known to be up; a side where none arrives is reported, not timed;
//   2. warm-up: `warmup` broadcasts at the latency phase's rate, not counted;
//   3. latency: `messages` broadcasts at `rate`/s, each asked for with a `fire` carrying the
//      benchmark's clock, which A sends back in the broadcast: latency is receipt minus that
//      stamp, one clock, and includes the control hop to A (the client on A shows its size);
//   4. throughput: A broadcasts as fast as it can for `floodMs` (at most `floodMax`), in
//      `burst`s of consecutive `io.emit`s, the next asked for once A acked the last; each
//      broadcast carries A's wall clock. Deliveries/s counts from the first request to the last
//      delivery; what has not arrived once deliveries stopped for STALL_MS, or `drainMs` after
//      the last request, is lost (the same wait ends the latency phase).

import {
  type Clients,
  connectClients,
  type Phase,
  PHASES,
  type Tally,
  until,
  wallNow,
} from "./cluster_clients.ts";
import { requestsSince, restRequests, type Side, type SideKey } from "./cluster_rig.ts";
import type { ClusterSettings } from "./cluster_settings.ts";
import { cpuSeconds, machineProcessSeconds } from "./proc.ts";
import { percentile } from "./stats.ts";
import { sleep } from "./window.ts";

const PROBE_EVERY_MS = 100;
const PROBE_TIMEOUT_MS = 15000;
const ACK_TIMEOUT_MS = 20000;
// A phase whose deliveries stop for this long is over: what is missing then is lost.
const STALL_MS = 5000;

/** How the wait for a phase's deliveries ended: everything arrived, they stopped, or time ran out. */
export type Drained = "all" | "stalled" | "cap";

/** CPU seconds of each process; `others`: the rest of the machine. */
export interface Cpu {
  a: number;
  b: number;
  /** The REST endpoint (edgeio only). */
  rest: number;
  redis: number;
  /** This process, with the clients. */
  bench: number;
  others: number;
}

/** What a server says of its adapter: the errors it reported, and what waits in it. */
export interface NodeStats {
  count: number;
  /** Messages the errors said were given up (edgeio's adapter counts them; the official not). */
  lost: number;
  /** The first few messages. */
  first: string[];
  /**
   * Broadcasts waiting in A: edgeio's adapter queue (not yet published), ioredis' commands
   * not yet answered.
   */
  pending: number;
}

/** Latencies of one phase in milliseconds. */
export interface Latencies {
  p50: number;
  p99: number;
  max: number;
}

/** The latency phase. */
export interface LatencyResult extends Latencies {
  sent: number;
  /** Broadcasts per second actually asked for. */
  rate: number;
  expected: number;
  received: number;
  /** The same-node reference: the client on A. */
  local: Latencies & { received: number };
  drained: Drained;
  /** Requests the REST endpoint answered meanwhile, by route (edgeio only). */
  restRequests: Record<string, number> | undefined;
  /** Share of a core other processes of the machine used meanwhile. */
  others: number;
}

/** The throughput phase. */
export interface FloodResult extends Latencies {
  sent: number;
  /** Broadcasts per second A sent while asked to. */
  emitRate: number;
  expected: number;
  received: number;
  /** From the first request to the last delivery. */
  seconds: number;
  deliveriesPerSec: number;
  /** CPU seconds over the phase, drain included. */
  cpu: Cpu;
  drained: Drained;
  /** What A still held back when it was done emitting. */
  pendingAtA: number;
  /** Requests the REST endpoint answered meanwhile, by route (edgeio only). */
  restRequests: Record<string, number> | undefined;
  /** Wall seconds over which the CPU was read. */
  wallSeconds: number;
}

/** One side's results; `failure` says why a phase did not run. */
export interface SideResult {
  key: SideKey;
  clients: number;
  failure?: string;
  latency?: LatencyResult;
  flood?: FloodResult;
  outOfOrder: number;
  disconnects: number;
  errors?: { a: NodeStats; b: NodeStats };
}

function latencies(tally: Tally): Latencies {
  const sorted = tally.latencies.sorted();
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

// CPU seconds so far of A, B, the REST endpoint, redis, this process and the rest of the machine.
function cpuOf(side: Side): Cpu {
  const { a, b, rest, redis } = side.pids;
  const cpu = {
    a: cpuSeconds(a),
    b: cpuSeconds(b),
    rest: rest === undefined ? 0 : cpuSeconds(rest),
    redis: cpuSeconds(redis),
    bench: cpuSeconds("self"),
  };
  const ours = cpu.a + cpu.b + cpu.rest + cpu.redis + cpu.bench;
  return { ...cpu, others: machineProcessSeconds() - ours };
}

function cpuSince(before: Cpu, after: Cpu): Cpu {
  const since = { ...after };
  for (const key of Object.keys(since) as (keyof Cpu)[]) {
    since[key] = Math.max(0, after[key] - before[key]);
  }
  return since;
}

// Waits for `target` deliveries, giving up once none arrived for STALL_MS or after `capMs`.
async function drain(tally: Tally, target: number, capMs: number): Promise<Drained> {
  const deadline = performance.now() + capMs;
  for (;;) {
    const seen = tally.received;
    const stall = performance.now() + STALL_MS;
    if (await until(() => tally.received >= target, Math.min(stall, deadline))) return "all";
    if (performance.now() >= deadline) return "cap";
    if (tally.received === seen) return "stalled";
  }
}

// Asks A for `count` broadcasts from `first` at `rate`/s; resolves with the rate achieved.
async function fire(c: Clients, phase: Phase, count: number, rate: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + i * 1000 / rate - performance.now();
    if (wait > 0) await sleep(wait);
    c.controlA.emit("fire", wallNow(), PHASES[phase] + i);
  }
  return count / ((performance.now() - start) / 1000 || Infinity);
}

async function nodeStats(c: Clients): Promise<{ a: NodeStats; b: NodeStats }> {
  const ask = (socket: Clients["controlA"]) =>
    socket.timeout(ACK_TIMEOUT_MS).emitWithAck("stats") as Promise<NodeStats>;
  const [a, b] = await Promise.all([ask(c.controlA), ask(c.controlB)]);
  return { a, b };
}

async function probe(c: Clients): Promise<string | undefined> {
  const deadline = performance.now() + PROBE_TIMEOUT_MS;
  const all = () => c.remote.probed.size === c.remote.sockets.length && c.local.probed.size === 1;
  for (let i = 0; !all() && performance.now() < deadline; i++) {
    c.controlA.emit("fire", wallNow(), PHASES.probe + i);
    await until(all, Math.min(deadline, performance.now() + PROBE_EVERY_MS));
  }
  if (all()) return undefined;
  const errors = await nodeStats(c).catch((e) => `(no answer: ${(e as Error).message})`);
  return `within ${PROBE_TIMEOUT_MS / 1000} s of broadcasts from A every ${PROBE_EVERY_MS} ms, ` +
    `${c.remote.probed.size} of ${c.remote.sockets.length} clients on B got one ` +
    `(${c.remote.tallies.probe.received} received in all); A's own client got ` +
    `${c.local.tallies.probe.received}; adapter errors: ${JSON.stringify(errors)}`;
}

async function latencyPhase(
  c: Clients,
  side: Side,
  s: ClusterSettings,
): Promise<LatencyResult> {
  const n = c.remote.sockets.length;
  const warm = c.remote.tallies.warmup;
  await fire(c, "warmup", s.warmup, s.rate);
  await drain(warm, s.warmup * n, s.drainMs);
  const tally = c.remote.tallies.latency;
  const local = c.local.tallies.latency;
  const requestsBefore = await restRequests(side);
  const before = cpuOf(side);
  const started = performance.now();
  const rate = await fire(c, "latency", s.messages, s.rate);
  const drained = await drain(tally, s.messages * n, s.drainMs);
  await until(() => local.received >= s.messages, performance.now() + STALL_MS);
  const others = cpuSince(before, cpuOf(side)).others / ((performance.now() - started) / 1000);
  const requests = requestsSince(requestsBefore, await restRequests(side));
  return {
    sent: s.messages,
    rate,
    expected: s.messages * n,
    received: tally.received,
    ...latencies(tally),
    local: { received: local.received, ...latencies(local) },
    drained,
    restRequests: requests,
    others,
  };
}

async function floodPhase(c: Clients, side: Side, s: ClusterSettings): Promise<FloodResult> {
  const n = c.remote.sockets.length;
  const tally = c.remote.tallies.flood;
  const requestsBefore = await restRequests(side);
  const before = cpuOf(side);
  const startedAt = wallNow();
  const started = performance.now();
  let sent = 0;
  while (sent < s.floodMax && performance.now() - started < s.floodMs) {
    const count = Math.min(s.burst, s.floodMax - sent);
    await c.controlA.timeout(ACK_TIMEOUT_MS).emitWithAck("burst", count, PHASES.flood + sent);
    sent += count;
  }
  const emitSeconds = (performance.now() - started) / 1000;
  const { a: { pending } } = await nodeStats(c);
  const drained = await drain(tally, sent * n, s.drainMs);
  const after = cpuOf(side);
  const requests = requestsSince(requestsBefore, await restRequests(side));
  const seconds = (tally.lastAt - startedAt) / 1000;
  return {
    sent,
    emitRate: sent / emitSeconds,
    expected: sent * n,
    received: tally.received,
    seconds,
    deliveriesPerSec: tally.received / seconds,
    ...latencies(tally),
    cpu: cpuSince(before, after),
    drained,
    pendingAtA: pending,
    restRequests: requests,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/**
 * Runs the phases against a running side.
 *
 * @param side The processes.
 * @param s The settings.
 * @returns What was measured; a side whose broadcasts never reach B has a `failure` instead.
 */
export async function runSide(side: Side, s: ClusterSettings): Promise<SideResult> {
  const c = await connectClients(side.a.url, side.b.url, s.clients);
  try {
    const result: SideResult = {
      key: side.key,
      clients: c.remote.sockets.length,
      outOfOrder: 0,
      disconnects: 0,
    };
    const failure = await probe(c);
    if (failure !== undefined) {
      result.failure = failure;
    } else {
      result.latency = await latencyPhase(c, side, s);
      result.flood = await floodPhase(c, side, s);
    }
    result.errors = await nodeStats(c);
    result.outOfOrder = c.remote.outOfOrder;
    result.disconnects = c.remote.disconnects;
    return result;
  } finally {
    c.close();
  }
}
