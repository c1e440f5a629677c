// Which other servers of the cluster are alive, by the last time each was heard from, and the
// heartbeat that tells them this one is. Two timers at most: the next heartbeat, and the moment
// the longest-silent server would count as dead.

import type { ClusterTimers } from "./_cluster_requests.ts";

/** What the node list needs from its adapter. */
export interface NodesOptions {
  heartbeatInterval: number;
  heartbeatTimeout: number;
  timers: ClusterTimers;
  now: () => number;
  /** Publishes a HEARTBEAT (and calls `published()`). */
  beat(): void;
  /** Server `uid` is gone: dead (silent too long) or closed. */
  dropped(uid: string): void;
}

/** The other servers of one namespace's cluster. */
export class Nodes {
  readonly #options: NodesOptions;
  // By uid, the time the server was last heard from; kept in that order (oldest first), since
  // a server heard from again is deleted and set anew.
  readonly #lastSeen = new Map<string, number>();
  #running = false;
  #lastPublished = -Infinity;
  #beatTimer: unknown;
  #sweepTimer: unknown;

  constructor(options: NodesOptions) {
    this.#options = options;
  }

  /** Starts the heartbeat and dead-node detection. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleBeat(this.#options.heartbeatInterval);
    this.#scheduleSweep();
  }

  /** Stops both timers and forgets every server. */
  stop(): void {
    this.#running = false;
    const { timers } = this.#options;
    if (this.#beatTimer !== undefined) timers.clearTimeout(this.#beatTimer);
    if (this.#sweepTimer !== undefined) timers.clearTimeout(this.#sweepTimer);
    this.#beatTimer = this.#sweepTimer = undefined;
    this.#lastSeen.clear();
  }

  /** This server published to all: the others heard from it, a heartbeat can wait. */
  published(): void {
    this.#lastPublished = this.#options.now();
  }

  /** Server `uid` was heard from. */
  seen(uid: string): void {
    this.#lastSeen.delete(uid);
    this.#lastSeen.set(uid, this.#options.now());
    if (this.#running && this.#sweepTimer === undefined) this.#scheduleSweep();
  }

  /** Server `uid` left. */
  remove(uid: string): void {
    if (this.#lastSeen.delete(uid)) this.#options.dropped(uid);
  }

  /** The servers alive now (those silent for longer than `heartbeatTimeout` are dropped first). */
  live(): string[] {
    this.#sweep();
    return [...this.#lastSeen.keys()];
  }

  #sweep(): void {
    const { now, heartbeatTimeout, dropped } = this.#options;
    const time = now();
    for (const [uid, lastSeen] of this.#lastSeen) {
      if (time - lastSeen <= heartbeatTimeout) break;
      this.#lastSeen.delete(uid);
      dropped(uid);
    }
  }

  #scheduleSweep(): void {
    const oldest = this.#lastSeen.values().next();
    if (oldest.done) return;
    const { timers, now, heartbeatTimeout } = this.#options;
    const delay = Math.max(0, oldest.value + heartbeatTimeout + 1 - now());
    this.#sweepTimer = timers.setTimeout(() => {
      this.#sweepTimer = undefined;
      if (!this.#running) return;
      this.#sweep();
      this.#scheduleSweep();
    }, delay);
  }

  #scheduleBeat(delay: number): void {
    const { timers, now, heartbeatInterval, beat } = this.#options;
    this.#beatTimer = timers.setTimeout(() => {
      this.#beatTimer = undefined;
      if (!this.#running) return;
      // Any message to all is a sign of life: beat only after a quiet interval.
      const quiet = now() - this.#lastPublished;
      if (quiet >= heartbeatInterval) beat();
      if (this.#running && this.#beatTimer === undefined) {
        this.#scheduleBeat(
          quiet >= heartbeatInterval ? heartbeatInterval : heartbeatInterval - quiet,
        );
      }
    }, delay);
  }
}
