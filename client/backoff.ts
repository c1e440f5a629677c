/**
 * Reconnection delays: exponential growth from `min` to `max` with random jitter, the formula
 * socket.io-client uses, so fleets of clients spread their reconnections the same way.
 *
 * @module
 */

/**
 * Exponential backoff with jitter.
 *
 * @example Delays double from 1 s and stay under 5 s
 * ```ts
 * import { Backoff } from "@edgeio/edgeio/client";
 * import assert from "node:assert/strict";
 *
 * const backoff = new Backoff(1000, 5000, 0);
 * assert.deepEqual([1, 2, 3, 4].map(() => backoff.duration()), [1000, 2000, 4000, 5000]);
 * assert.equal(backoff.attempts, 4);
 * backoff.reset();
 * assert.equal(backoff.duration(), 1000);
 * ```
 */
export class Backoff {
  /** Delays handed out since the last reset. */
  attempts = 0;

  /**
   * Makes a backoff.
   *
   * @param min The first delay in milliseconds.
   * @param max The largest delay in milliseconds.
   * @param jitter The random deviation, from 0 to 1.
   */
  constructor(public min = 100, public max = 10000, public jitter = 0) {}

  /**
   * The next delay.
   *
   * @returns Milliseconds to wait.
   */
  duration(): number {
    let ms = this.min * 2 ** this.attempts++;
    if (this.jitter) {
      const rand = Math.random();
      const deviation = Math.floor(rand * this.jitter * ms);
      ms = (Math.floor(rand * 10) & 1) === 0 ? ms - deviation : ms + deviation;
    }
    return Math.min(ms, this.max) | 0;
  }

  /** Starts over from `min`. */
  reset(): void {
    this.attempts = 0;
  }
}
