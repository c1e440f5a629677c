// The clients of bench/cluster_load.ts: official socket.io-client sockets in the benchmark's
// process. N "receivers" on server B and one "local" socket on server A take every
// `tick` (stamp, seq) broadcast; a "control" socket on A's /control namespace asks A for the
// broadcasts, and one on B's reads B's adapter errors. What arrives is counted per phase, by
// seq range, so a late message of one phase is never counted in the next.

import { io, type Socket } from "socket.io-client";
import { Samples } from "./stats.ts";
import { sleep } from "./window.ts";

/** The seq ranges of the phases, in the order they run (each client sees seq increase). */
export const PHASES = {
  probe: -1_000_000_000,
  warmup: 0,
  latency: 100_000_000,
  flood: 200_000_000,
} as const;

/** A phase's name. */
export type Phase = keyof typeof PHASES;

/** Wall-clock milliseconds, fractional: the same clock in every process of this machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** What a group of sockets received in one phase. */
export class Tally {
  received = 0;
  /** Receipt time (wallNow) of the last message, 0 before any. */
  lastAt = 0;
  readonly latencies = new Samples();
}

/** Sockets that count `tick` broadcasts per phase. */
export class Receivers {
  readonly sockets: Socket[] = [];
  readonly tallies: Record<Phase, Tally> = {
    probe: new Tally(),
    warmup: new Tally(),
    latency: new Tally(),
    flood: new Tally(),
  };
  /** Messages a socket got with a seq not above the last one it got (repeated or reordered). */
  outOfOrder = 0;
  /** Sockets that disconnected while measured. */
  disconnects = 0;
  /** Sockets that got at least one probe. */
  readonly probed = new Set<Socket>();

  /** Takes a connected socket's broadcasts into account. */
  add(socket: Socket): void {
    this.sockets.push(socket);
    let last = -Infinity;
    socket.on("tick", (stamp: number, seq: number) => {
      const at = wallNow();
      if (seq <= last) this.outOfOrder++;
      last = seq;
      const tally = this.tallies[phaseOf(seq)];
      tally.received++;
      tally.lastAt = at;
      tally.latencies.add(at - stamp);
      if (seq < PHASES.warmup) this.probed.add(socket);
    });
    socket.on("disconnect", () => this.disconnects++);
  }
}

function phaseOf(seq: number): Phase {
  if (seq >= PHASES.flood) return "flood";
  if (seq >= PHASES.latency) return "latency";
  if (seq >= PHASES.warmup) return "warmup";
  return "probe";
}

/**
 * Connects one socket over WebSocket only, with no reconnection, and waits for it.
 *
 * @param url `http://host:port/namespace`.
 * @param timeoutMs How long the connection may take.
 * @returns The connected socket.
 * @throws {Error} On a connect error or a timeout; the socket is closed first.
 */
export async function connect(url: string, timeoutMs = 10000): Promise<Socket> {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  const connected = Promise.withResolvers<void>();
  socket.once("connect", () => connected.resolve());
  socket.once("connect_error", (error) => connected.reject(error));
  const timer = setTimeout(
    () => connected.reject(new Error(`${url}: not connected within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await connected.promise;
    return socket;
  } catch (error) {
    socket.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `done()` holds or the deadline passes, checking every few milliseconds (what is
 * measured is stamped where it arrives, not here).
 *
 * @param done The condition.
 * @param deadline A `performance.now()` time.
 * @returns Whether it held.
 */
export async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** The sockets of one side's run. */
export interface Clients {
  /** The N sockets on B. */
  remote: Receivers;
  /** One socket on A, the same-node reference. */
  local: Receivers;
  /** A's /control. */
  controlA: Socket;
  /** B's /control. */
  controlB: Socket;
  close(): void;
}

/**
 * Connects the clients of a run, `concurrency` at a time; closes them all on a failure.
 *
 * @param a Server A's URL.
 * @param b Server B's URL.
 * @param count Sockets on B.
 * @returns The connected clients.
 */
export async function connectClients(a: string, b: string, count: number): Promise<Clients> {
  const all: Socket[] = [];
  const close = () => all.forEach((socket) => socket.close());
  const remote = new Receivers();
  const local = new Receivers();
  const one = async (url: string) => {
    const socket = await connect(url);
    all.push(socket);
    return socket;
  };
  try {
    const controlA = await one(`${a}/control`);
    const controlB = await one(`${b}/control`);
    local.add(await one(a));
    let next = 0;
    const lane = async () => {
      while (next < count) {
        next++;
        remote.add(await one(b));
      }
    };
    await Promise.all(Array.from({ length: Math.min(50, count) }, lane));
    return { remote, local, controlA, controlB, close };
  } catch (error) {
    close();
    throw error;
  }
}
