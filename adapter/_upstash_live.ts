// The sessions of a server's connected sockets, kept in the store while they are connected, so a
// client can resume on another server even after this one died: a socket's session is written
// (batched per turn) whenever it joins or leaves rooms, taken out when it leaves, and the server
// tells the store it lives at most twice per heartbeat. Writes in flight are awaited on leaving.

import type { ClusterTimers } from "./_cluster_requests.ts";
import type { RedisRecovery } from "./_upstash_recovery.ts";
import type { PersistedSession, SocketId } from "./types.ts";

/** What {@linkcode LiveSessions} needs. */
export interface LiveSessionsOptions {
  recovery: RedisRecovery;
  /** This server's uid. */
  uid: string;
  /** Milliseconds between heartbeats; the store is touched at most twice per interval. */
  heartbeatInterval: number;
  timers: ClusterTimers;
  /** The session of a connected socket, or undefined when it has none (yet). */
  describe(id: SocketId): PersistedSession | undefined;
  /** Reports a write that failed. */
  report(error: unknown): void;
}

/** The live sessions of one namespace's adapter. */
export class LiveSessions {
  readonly #o: LiveSessionsOptions;
  // Recovery writes in flight, which leave() lets finish.
  readonly #writes = new Set<Promise<void>>();
  // Connected sockets whose session must be written (again), and the pid of each written one.
  readonly #dirty = new Set<SocketId>();
  readonly #pids = new Map<SocketId, string>();
  #flushTimer: unknown;
  #stopped = false;
  #lastTouch = -Infinity;

  constructor(options: LiveSessionsOptions) {
    this.#o = options;
  }

  /** A socket joined or left a room: its session is written once this turn's changes are done. */
  changed(id: SocketId): void {
    if (this.#stopped) return;
    this.#dirty.add(id);
    if (this.#dirty.size === 1) {
      this.#flushTimer = this.#o.timers.setTimeout(() => this.#flush(), 0);
    }
  }

  /** The store may have lost every session: write them all again. */
  rewriteAll(): void {
    for (const id of this.#pids.keys()) this.changed(id);
  }

  /** A socket left (its recoverable session, if any, was persisted just before). */
  left(id: SocketId): void {
    this.#dirty.delete(id);
    const pid = this.#pids.get(id);
    if (pid === undefined) return;
    this.#pids.delete(id);
    void this.write(this.#o.recovery.untrack(this.#o.uid, [pid]));
  }

  /** Tells the store this server lives (and keeps its sessions), at most twice per heartbeat. */
  touch(): void {
    const now = Date.now();
    if (this.#stopped || now - this.#lastTouch < this.#o.heartbeatInterval / 2) return;
    this.#lastTouch = now;
    void this.write(this.#o.recovery.touch(this.#o.uid));
  }

  /** Runs a recovery write; leave() waits for it, and a failure is reported. */
  write(write: Promise<void>): Promise<void> {
    const done = write.catch((error) => this.#o.report(error)).finally(() => {
      this.#writes.delete(done);
    });
    this.#writes.add(done);
    return done;
  }

  /** Writes nothing more of its own accord (the adapter closes). */
  stop(): void {
    this.#stopped = true;
    this.#o.timers.clearTimeout(this.#flushTimer);
    this.#dirty.clear();
  }

  /**
   * Takes this server's sessions out of the store once the writes in flight landed (one landing
   * after it would bring a session, or the server, back).
   */
  async leave(): Promise<void> {
    await Promise.allSettled([...this.#writes]);
    await this.write(this.#o.recovery.leave(this.#o.uid));
  }

  #flush(): void {
    const sessions: PersistedSession[] = [];
    for (const id of this.#dirty) {
      const session = this.#o.describe(id);
      if (!session) continue;
      this.#pids.set(id, session.pid);
      sessions.push(session);
    }
    this.#dirty.clear();
    void this.write(this.#o.recovery.track(this.#o.uid, sessions));
  }
}
