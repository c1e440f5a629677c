// The bus of the Upstash adapter: messages go out through the log (XADD + PUBLISH, one id per
// message) and come in through an SSE subscription; after every resubscription the bus reads
// back from the log what was published while it was away, so a dropped stream loses nothing
// that the capped log still holds, and reports when it may have.

import type { ClusterTimers } from "./_cluster_requests.ts";
import { SseSubscription } from "./_sse_subscription.ts";
import { compareIds, LogPublisher, type LogRedis } from "./_upstash_log.ts";

/** What the bus needs. */
export interface BusOptions {
  redis: LogRedis;
  url: string;
  token: string;
  fetch: typeof fetch;
  channel: string;
  logKey: string;
  logSize: number;
  maxPending: number;
  maxRetryTime: number;
  idleTimeout: number;
  retry: { min: number; max: number };
  timers: ClusterTimers;
  /** A message arrived, with its log id, in log order. */
  onMessage(id: string, message: string): void;
  /** Something failed; `lost` counts messages known to be given up. */
  onError(error: Error, lost: number): void;
  /** The subscription is up (first time and after every reconnection). */
  onUp?(): void;
}

/** Publishes to and receives from one channel with its log. */
export class UpstashBus {
  readonly #o: BusOptions;
  readonly #publisher: LogPublisher;
  readonly #subscription: SseSubscription;
  #lastId: string | undefined;
  #held: [string, string][] | undefined;
  #wasUp = false;

  constructor(options: BusOptions) {
    this.#o = options;
    this.#publisher = new LogPublisher({
      redis: options.redis,
      key: options.logKey,
      channel: options.channel,
      size: options.logSize,
      maxPending: options.maxPending,
      maxRetryTime: options.maxRetryTime,
      timers: options.timers,
      retry: options.retry,
      onError: options.onError,
    });
    this.#subscription = new SseSubscription({
      url: options.url,
      token: options.token,
      channel: options.channel,
      fetch: options.fetch,
      timers: options.timers,
      idleTimeout: options.idleTimeout,
      retry: options.retry,
      onMessage: (_channel, data) => this.#onData(data),
      onUp: () => this.#onUp(),
      onDown: (error) => options.onError(error, 0),
    });
  }

  /** Messages waiting for the store. */
  get pending(): number {
    return this.#publisher.pending;
  }

  /** Subscribes. */
  start(): void {
    this.#subscription.start();
  }

  /**
   * Publishes a message.
   *
   * @returns Its log id.
   */
  publish(message: string): Promise<string> {
    return this.#publisher.publish(message);
  }

  /** Unsubscribes and gives up what waits to be published. */
  close(): void {
    this.#subscription.close();
    this.#publisher.close();
  }

  #onUp(): void {
    const since = this.#lastId;
    if (this.#wasUp && since !== undefined) void this.#catchUp(since);
    this.#wasUp = true;
    this.#o.onUp?.();
  }

  #onData(data: string): void {
    const space = data.indexOf(" ");
    if (space === -1) return;
    const id = data.slice(0, space);
    const message = data.slice(space + 1);
    if (this.#held) this.#held.push([id, message]);
    else this.#deliver(id, message);
  }

  #deliver(id: string, message: string): void {
    if (this.#lastId !== undefined && compareIds(id, this.#lastId) <= 0) return;
    this.#lastId = id;
    this.#o.onMessage(id, message);
  }

  async #catchUp(since: string): Promise<void> {
    const held: [string, string][] = this.#held = [];
    try {
      const entries = await this.#o.redis.xrange(this.#o.logKey, since, "+", this.#o.logSize);
      const ids = Object.keys(entries);
      if (ids[0] !== since) {
        this.#o.onError(
          new Error(
            `Messages may be lost: the log no longer holds ${since}, the last id received`,
          ),
          0,
        );
      }
      for (const id of ids) {
        const message = entries[id]?.m;
        if (typeof message === "string") this.#deliver(id, message);
      }
    } catch (error) {
      this.#o.onError(
        new Error(`Cannot read back missed messages: ${(error as Error).message}`, {
          cause: error,
        }),
        0,
      );
    } finally {
      this.#held = undefined;
      held.sort((a, b) => compareIds(a[0], b[0]));
      for (const [id, message] of held) this.#deliver(id, message);
    }
  }
}
