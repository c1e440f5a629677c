/**
 * The options of a {@linkcode ClusterAdapter}, their defaults, and their one check.
 *
 * @module
 */

import { checkPositive, show } from "./_checks.ts";
import type { ClusterTimers } from "./_cluster_requests.ts";
import type { AdapterOptions } from "./adapter.ts";

export type { ClusterTimers };

/**
 * Tuning of a {@linkcode ClusterAdapter}, and the clock and timers tests drive by hand. Every
 * field is optional.
 *
 * @example Faster failure detection
 * ```ts
 * import { CLUSTER_DEFAULTS, type ClusterAdapterOptions } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const options: ClusterAdapterOptions = { heartbeatInterval: 1000, heartbeatTimeout: 3000 };
 * assert.equal(CLUSTER_DEFAULTS.requestsTimeout, 5000);
 * assert.ok(options.heartbeatTimeout! > options.heartbeatInterval!);
 * ```
 */
export interface ClusterAdapterOptions extends AdapterOptions {
  /**
   * Milliseconds between heartbeats; any message to all servers counts as one.
   *
   * @default {5000}
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds of silence after which another server counts as dead; more than
   * `heartbeatInterval`.
   *
   * @default {10000}
   */
  heartbeatTimeout?: number;
  /**
   * Milliseconds to wait for every server's answer to `fetchSockets` (unless the `timeout` flag
   * says otherwise), `serverSideEmit` with an ack, and the client counts of a broadcast with acks.
   *
   * @default {5000}
   */
  requestsTimeout?: number;
  /**
   * The timers (the same shape as the engine's `timers` option).
   *
   * @default {globalThis.setTimeout and clearTimeout}
   */
  timers?: ClusterTimers;
  /**
   * The clock, in milliseconds: ages servers' heartbeats and recovery sessions.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * This adapter's id in the cluster; unique per server.
   *
   * @default {16 random hex digits, drawn on first use}
   */
  uid?: string;
}

/** The defaults of {@linkcode ClusterAdapterOptions}' numbers. */
export const CLUSTER_DEFAULTS: Readonly<{
  heartbeatInterval: number;
  heartbeatTimeout: number;
  requestsTimeout: number;
}> = Object.freeze({ heartbeatInterval: 5000, heartbeatTimeout: 10_000, requestsTimeout: 5000 });

/** The runtime's own timers: the default of every adapter's `timers` option. */
export const GLOBAL_TIMERS: ClusterTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** The options with their defaults, checked. */
export interface ResolvedClusterOptions {
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly requestsTimeout: number;
  readonly timers: ClusterTimers;
  readonly now: () => number;
  readonly uid: string | undefined;
}

const positive = (name: string, value: unknown) => checkPositive("ClusterAdapter", name, value);

/**
 * Applies the defaults and checks the result.
 *
 * @param options What the caller gave.
 * @returns The options in force.
 * @throws {RangeError} When a number is out of range or `uid` is empty.
 * @throws {TypeError} When `timers` or `now` is not what it should be.
 */
export function resolveClusterOptions(options: ClusterAdapterOptions): ResolvedClusterOptions {
  const heartbeatInterval = positive(
    "heartbeatInterval",
    options.heartbeatInterval ?? CLUSTER_DEFAULTS.heartbeatInterval,
  );
  const heartbeatTimeout = positive(
    "heartbeatTimeout",
    options.heartbeatTimeout ?? CLUSTER_DEFAULTS.heartbeatTimeout,
  );
  if (heartbeatTimeout <= heartbeatInterval) {
    throw new RangeError(
      `Cannot create ClusterAdapter: heartbeatTimeout must exceed heartbeatInterval (${heartbeatInterval}), current value is ${heartbeatTimeout}`,
    );
  }
  const requestsTimeout = positive(
    "requestsTimeout",
    options.requestsTimeout ?? CLUSTER_DEFAULTS.requestsTimeout,
  );
  const timers = options.timers ?? GLOBAL_TIMERS;
  if (typeof timers?.setTimeout !== "function" || typeof timers.clearTimeout !== "function") {
    throw new TypeError(
      `Cannot create ClusterAdapter: timers must have setTimeout and clearTimeout, current value is ${
        show(timers)
      }`,
    );
  }
  const now = options.now ?? Date.now;
  if (typeof now !== "function") {
    throw new TypeError(
      `Cannot create ClusterAdapter: now must be a function, current value is ${show(now)}`,
    );
  }
  const uid = options.uid;
  if (uid !== undefined && (typeof uid !== "string" || uid === "" || uid === "emitter")) {
    throw new RangeError(
      `Cannot create ClusterAdapter: uid must be a non-empty string other than "emitter", current value is ${
        show(uid)
      }`,
    );
  }
  return { heartbeatInterval, heartbeatTimeout, requestsTimeout, timers, now, uid };
}
