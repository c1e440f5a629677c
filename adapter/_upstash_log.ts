// The shared log of an Upstash bus: every message is appended to a capped Redis stream and
// published in one round trip (a Lua script), so each message has a cluster-wide id — the
// connection-state-recovery offset of a broadcast — and a node whose subscription dropped can
// read back what it missed. Publishing is ordered, batched (the SDK pipelines the commands of
// one tick into one request), retried with backoff while the store is away, and bounded:
// a message that cannot be queued or outlives `maxRetryTime` is reported, never dropped
// silently.

import type { ClusterTimers } from "./_cluster_requests.ts";

/** The few commands the log needs, as @upstash/redis offers them. */
export interface LogRedis {
  /** EVAL. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  /** XRANGE with a count; resolves to `{ id: { field: value } }` in id order. */
  xrange(
    key: string,
    start: string,
    end: string,
    count?: number,
  ): Promise<Record<string, Record<string, unknown>>>;
}

/** What the log needs. */
export interface LogOptions {
  redis: LogRedis;
  /** The stream key. */
  key: string;
  /** The channel the messages are published on. */
  channel: string;
  /** The approximate number of entries the stream keeps. */
  size: number;
  /** The most messages waiting to be published. */
  maxPending: number;
  /** Milliseconds a message may wait for the store before it is reported as failed. */
  maxRetryTime: number;
  timers: ClusterTimers;
  retry: { min: number; max: number };
  /** Publishing failed: `lost` messages were given up (0 while still retrying). */
  onError(error: Error, lost: number): void;
}

// KEYS[1] the stream, KEYS[2] the channel; ARGV[1] the cap, ARGV[2] the message.
const APPEND_AND_PUBLISH =
  "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2]) " +
  "redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[2]) return id";

interface Pending {
  message: string;
  since: number;
  resolve(id: string): void;
  reject(error: Error): void;
}

const BATCH = 64;

/** Compares two stream ids (`<ms>-<seq>`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number) as [number, number];
  const [bm, bs] = b.split("-").map(Number) as [number, number];
  return am - bm || as - bs;
}

/** The publishing side of the log. */
export class LogPublisher {
  readonly #o: LogOptions;
  #queue: Pending[] = [];
  #running = false;
  #attempt = 0;
  #timer: unknown;
  #closed = false;

  constructor(options: LogOptions) {
    this.#o = options;
  }

  /** Messages waiting for the store. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Appends and publishes a message.
   *
   * @returns The message's stream id, once published.
   */
  publish(message: string): Promise<string> {
    if (this.#closed) return Promise.reject(new Error("Cannot publish: the adapter closed"));
    if (this.#queue.length >= this.#o.maxPending) {
      const error = new Error(
        `Cannot publish: ${this.#queue.length} messages already wait for the store (maxPending)`,
      );
      this.#o.onError(error, 1);
      return Promise.reject(error);
    }
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    this.#queue.push({ message, since: Date.now(), resolve, reject });
    if (!this.#running) void this.#drain();
    return promise;
  }

  /** Gives up every waiting message. */
  close(): void {
    this.#closed = true;
    this.#o.timers.clearTimeout(this.#timer);
    const queue = this.#queue;
    this.#queue = [];
    for (const item of queue) item.reject(new Error("Cannot publish: the adapter closed"));
  }

  async #drain(): Promise<void> {
    const o = this.#o;
    this.#running = true;
    while (this.#queue.length && !this.#closed) {
      const batch = this.#queue.slice(0, BATCH);
      const results = await Promise.allSettled(
        batch.map((item) =>
          o.redis.eval(APPEND_AND_PUBLISH, [o.key, o.channel], [
            String(o.size),
            item.message,
          ])
        ),
      );
      if (this.#closed) break;
      const failed: Pending[] = [];
      let error: unknown;
      results.forEach((result, i) => {
        const item = batch[i]!;
        if (result.status === "fulfilled") item.resolve(String(result.value));
        else {
          failed.push(item);
          error = result.reason;
        }
      });
      this.#queue = [...failed, ...this.#queue.slice(batch.length)];
      if (!failed.length) {
        this.#attempt = 0;
        continue;
      }
      const now = Date.now();
      const expired = this.#queue.filter((item) => now - item.since > o.maxRetryTime);
      const cause = error instanceof Error ? error : new Error(String(error));
      if (expired.length) {
        this.#queue = this.#queue.filter((item) => now - item.since <= o.maxRetryTime);
        const lost = new Error(
          `Cannot publish: the store was unreachable for ${o.maxRetryTime} ms (${cause.message})`,
          { cause },
        );
        for (const item of expired) item.reject(lost);
        o.onError(lost, expired.length);
      } else {
        o.onError(cause, 0);
      }
      await new Promise<void>((resolve) => {
        const base = Math.min(o.retry.max, o.retry.min * 2 ** this.#attempt++);
        this.#timer = o.timers.setTimeout(resolve, base / 2 + Math.random() * base / 2);
      });
    }
    this.#running = false;
  }
}
