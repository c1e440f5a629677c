// The shared log of an Upstash bus: every message is appended to a capped Redis stream and
// published in one round trip (a Lua script), so each message has a cluster-wide id — the
// connection-state-recovery offset of a broadcast — and a node whose subscription dropped can
// read back what it missed. Publishing is ordered, batched (the SDK pipelines the commands of
// one tick into one request), retried with backoff while the store is away, and bounded:
// a message that cannot be queued or outlives `maxRetryTime` is reported, never dropped
// silently.

import { backoffDelay } from "./_checks.ts";
import type { ClusterTimers } from "./_cluster_requests.ts";

/** The few commands the log needs, as @upstash/redis offers them. */
export interface LogRedis {
  /** EVAL. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  /** XRANGE with a count; read the result with {@linkcode streamEntries}. */
  xrange(key: string, start: string, end: string, count?: number): Promise<unknown>;
}

/** What the log needs. */
export interface LogOptions {
  redis: LogRedis;
  /** The stream key. */
  key: string;
  /** The channel the messages are published on (unless `publish()` names another). */
  channel: string;
  /** Whether messages are only published, not appended to the stream (`key`, `size` unused). */
  publishOnly?: boolean;
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
// KEYS[1] the channel; ARGV[1] the message.
const PUBLISH = "return redis.call('PUBLISH', KEYS[1], ARGV[1])";

interface Pending {
  message: string;
  channel: string;
  since: number;
  /** A heartbeat: never counted as lost, and not queued behind other messages. */
  droppable: boolean;
  resolve(id: string | undefined): void;
  reject(error: Error): void;
}

const BATCH = 64;

/**
 * The `[id, message]` entries of an XRANGE result, in order. Without automatic deserialization
 * the SDK hands over Redis' own shape, `[[id, [field, value, …]], …]`; with it, an object
 * `{ id: { field: value } }` whose values it tried to JSON-parse. Both are read; entries
 * without a text `m` field are skipped.
 */
export function streamEntries(result: unknown): [string, string][] {
  const entries: [string, string][] = [];
  if (Array.isArray(result)) {
    for (const entry of result) {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || !Array.isArray(entry[1])) {
        continue;
      }
      const fields: unknown[] = entry[1];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const value = fields[i + 1];
        if (fields[i] === "m" && typeof value === "string") entries.push([entry[0], value]);
      }
    }
  } else if (typeof result === "object" && result !== null) {
    for (const [id, fields] of Object.entries(result)) {
      const value = (fields as Record<string, unknown> | null)?.m;
      if (typeof value === "string") entries.push([id, value]);
    }
  }
  return entries;
}

// Entries read per XRANGE request.
const PAGE = 1000;

/**
 * The log from `since` (included, when the log still holds it) to its end, a page at a time:
 * the entries a reader needs may be many more than the log's nominal size, which trimming with
 * `~` only approximates.
 */
export async function readSince(
  redis: Pick<LogRedis, "xrange">,
  key: string,
  since: string,
): Promise<[string, string][]> {
  const entries: [string, string][] = [];
  for (let start = since;;) {
    const page: unknown = await redis.xrange(key, start, "+", PAGE);
    const read = streamEntries(page);
    entries.push(...read);
    const size = typeof page === "object" && page !== null ? Object.keys(page).length : 0;
    const last = read.at(-1);
    if (size < PAGE || !last) return entries;
    start = `(${last[0]}`;
  }
}

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
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(options: LogOptions) {
    this.#o = options;
  }

  /** Messages waiting for the store. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Whether the last attempt to publish failed (the store is away, as far as we know). */
  get failing(): boolean {
    return this.#attempt > 0;
  }

  /**
   * Appends and publishes a message. A `droppable` one (a heartbeat) is skipped while other
   * messages wait, since any of them tells the others this server lives, and is never counted
   * as lost.
   *
   * @returns The message's stream id once published (`undefined` for a skipped heartbeat);
   * rejects once the message is given up, which has been reported by then.
   */
  publish(message: string, droppable = false, channel?: string): Promise<string | undefined> {
    if (this.#closed) return Promise.reject(new Error("Cannot publish: the adapter closed"));
    if (droppable && this.#queue.length > 0) return Promise.resolve(undefined);
    if (this.#queue.length >= this.#o.maxPending) {
      const error = new Error(
        `Cannot publish: ${this.#queue.length} messages already wait for the store (maxPending)`,
      );
      this.#o.onError(error, 1);
      return Promise.reject(error);
    }
    const { promise, resolve, reject } = Promise.withResolvers<string | undefined>();
    const to = channel ?? this.#o.channel;
    this.#queue.push({ message, channel: to, since: Date.now(), droppable, resolve, reject });
    if (!this.#running) void this.#drain();
    return promise;
  }

  /** Gives up every waiting message, and reports how many there were. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.timers.clearTimeout(this.#timer);
    this.#wake?.();
    this.#give(this.#queue, new Error("Cannot publish: the adapter closed"));
    this.#queue = [];
  }

  // Rejects `items` and reports those that count as lost.
  #give(items: Pending[], error: Error): void {
    const lost = items.filter((item) => !item.droppable).length;
    for (const item of items) item.reject(error);
    if (lost) this.#o.onError(error, lost);
  }

  async #drain(): Promise<void> {
    const o = this.#o;
    this.#running = true;
    while (this.#queue.length && !this.#closed) {
      const batch = this.#queue.slice(0, BATCH);
      const results = await Promise.allSettled(
        batch.map((item) =>
          o.publishOnly
            ? o.redis.eval(PUBLISH, [item.channel], [item.message])
            : o.redis.eval(APPEND_AND_PUBLISH, [o.key, item.channel], [
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
        this.#give(
          expired,
          new Error(
            `Cannot publish: the store was unreachable for ${o.maxRetryTime} ms (${cause.message})`,
            { cause },
          ),
        );
      } else {
        o.onError(cause, 0);
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = o.timers.setTimeout(
          resolve,
          backoffDelay(o.retry.min, o.retry.max, this.#attempt++),
        );
      });
      this.#wake = undefined;
    }
    this.#running = false;
  }
}
