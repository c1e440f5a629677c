// The bus of the Upstash adapter: messages go out through the log (XADD + PUBLISH, one id per
// message) and come in through an SSE subscription; after every resubscription the bus reads
// back from the log what was published while it was away, so a dropped stream loses nothing
// that the capped log still holds, and reports when it may have.

import type { ClusterTimers } from "./_cluster_requests.ts";
import { SseSubscription } from "./_sse_subscription.ts";
import { compareIds, LogPublisher, type LogRedis, readSince } from "./_upstash_log.ts";

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
  /**
   * Opens the bus' share of a subscription that carries the channel (one stream for several
   * namespaces); by default the bus opens a stream of its own.
   */
  stream?(listener: BusListener): BusStream;
  /** A message arrived, with its log id, in log order. */
  onMessage(id: string, message: string): void;
  /** Something failed; `lost` counts messages known to be given up. */
  onError(error: Error, lost: number): void;
  /** The subscription is up (first time and after every reconnection). */
  onUp?(): void;
  /**
   * After a reconnection, the log no longer held the last id received: it was trimmed past it,
   * or the store lost its data (a restart without persistence).
   */
  onReset?(): void;
}

/** What a bus hears from its subscription. */
export interface BusListener {
  /** A message of the bus' channel arrived: `<log id> <message>`. */
  data(payload: string): void;
  /** The subscription is confirmed (also when the bus joins a stream that is up already). */
  up(): void;
  /** The stream failed or ended; it reconnects by itself. */
  down(error: Error): void;
}

/** The subscription as a bus drives it. */
export interface BusStream {
  /** Subscribes (or joins the shared stream). */
  start(): void;
  /** Drops the stream and subscribes again, as after a failure. */
  reconnect(): void;
  /** Leaves the stream (the last one to leave closes it). */
  close(): void;
}

// Before every id: where the read-back of a log that was empty starts.
const START = "0-0";

const TAIL = "local e = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1) " +
  "if e[1] then return e[1][1] end return false";

/** Publishes to and receives from one channel with its log. */
export class UpstashBus {
  readonly #o: BusOptions;
  readonly #publisher: LogPublisher;
  readonly #subscription: BusStream;
  #lastId: string | undefined;
  #held: [string, string][] | undefined;
  #catchUps = 0;
  #wasUp = false;
  #starting = false;

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
    const listener: BusListener = {
      data: (data) => this.#onData(data),
      up: () => this.#onUp(),
      down: (error) => {
        this.#down();
        options.onError(error, 0);
      },
    };
    this.#subscription = options.stream?.(listener) ?? new SseSubscription({
      url: options.url,
      token: options.token,
      channel: options.channel,
      fetch: options.fetch,
      timers: options.timers,
      idleTimeout: options.idleTimeout,
      retry: options.retry,
      onMessage: (_channel, data) => listener.data(data),
      onUp: () => listener.up(),
      onDown: (error) => listener.down(error),
    });
  }

  /** Messages waiting for the store. */
  get pending(): number {
    return this.#publisher.pending;
  }

  /** Whether the last attempt to publish failed. */
  get failing(): boolean {
    return this.#publisher.failing;
  }

  /** Subscribes. */
  start(): void {
    if (this.#starting) return;
    this.#starting = true;
    // The log's newest id before subscribing: the first confirmation then reads back from it,
    // so what other nodes published while this subscription was being set up (or before this
    // bus joined a shared stream) is not missed. An empty log is read back from its start.
    this.#o.redis.eval(TAIL, [this.#o.logKey], []).then((id) => {
      if ((typeof id === "string" || id === null) && this.#lastId === undefined) {
        this.#lastId = id ?? START;
        this.#wasUp = true;
      }
    }, () => {}).finally(() => this.#subscription.start());
  }

  /**
   * Publishes a message (see {@linkcode LogPublisher.publish}).
   *
   * @returns Its log id.
   */
  publish(message: string, droppable = false): Promise<string | undefined> {
    return this.#publisher.publish(message, droppable);
  }

  /** Unsubscribes and gives up what waits to be published. */
  close(): void {
    this.#subscription.close();
    this.#publisher.close();
  }

  #onUp(): void {
    const since = this.#lastId;
    const again = this.#wasUp;
    this.#wasUp = true;
    if (again && since !== undefined) void this.#catchUp(since);
    else this.#release(this.#held ?? []);
    this.#o.onUp?.();
  }

  // The stream dropped. Until the next one is confirmed and the log read back, nothing is
  // delivered directly: a message may come before the confirmation, and a read-back still in
  // flight is out of date (its result is ignored).
  #down(): void {
    if (!this.#wasUp) return;
    this.#catchUps++;
    this.#held = [];
  }

  // Delivers what was held, in log order, and stops holding.
  #release(held: [string, string][]): void {
    this.#held = undefined;
    held.sort((a, b) => compareIds(a[0], b[0]));
    for (const [id, message] of held) this.#deliver(id, message);
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

  // Reads back what was published since the last message delivered, holding live messages
  // meanwhile. When the log cannot be read, the subscription starts over, so the next
  // confirmation reads back from the same place: a gap is never skipped silently.
  async #catchUp(since: string): Promise<void> {
    const held: [string, string][] = this.#held = [];
    const generation = ++this.#catchUps;
    let entries: [string, string][];
    try {
      entries = await readSince(this.#o.redis, this.#o.logKey, since);
    } catch (error) {
      // The stream dropped meanwhile, or a later confirmation started another read-back from
      // the same place: that one takes over.
      if (generation !== this.#catchUps) return;
      // Held until the new subscription has read back from the same place.
      this.#down();
      this.#o.onError(
        new Error(`Cannot read back missed messages: ${(error as Error).message}`, {
          cause: error,
        }),
        0,
      );
      this.#subscription.reconnect();
      return;
    }
    if (generation !== this.#catchUps) return;
    if (since !== START && entries[0]?.[0] !== since) {
      this.#o.onError(
        new Error(`Messages may be lost: the log no longer holds ${since}, the last id received`),
        0,
      );
      this.#o.onReset?.();
    }
    this.#held = undefined;
    for (const [id, message] of entries) this.#deliver(id, message);
    this.#release(held);
  }
}
