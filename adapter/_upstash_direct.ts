// The Upstash adapter's channel for messages addressed to one server (forwarded requests and
// their answers, WebSocket relay frames): `<key>-direct#<uid>#`, one per server for all its
// namespaces (a message says its namespace), published to with a plain PUBLISH rather than
// through a namespace's log, which every server reads and which bounds recovery. Messages of a
// namespace to one destination keep their order: they leave through one ordered publisher.
// Pub/sub only, nothing to read back: a message lost while the subscription is down is noticed
// by its user (a forwarded request times out, a relay sees a gap in its frames), and the
// subscription dropping is reported. A quiet channel is kept alive by a ping of its own, so a
// dead stream is noticed like the log's. The name does not start with `<key>#`, so the pattern
// of the namespaces' logs never matches it.

import type { ClusterTimers } from "./_cluster_requests.ts";
import { SseSubscription } from "./_sse_subscription.ts";
import { LogPublisher, type LogRedis } from "./_upstash_log.ts";

/** What the channel needs. */
export interface DirectOptions {
  redis: LogRedis;
  url: string;
  token: string;
  fetch: typeof fetch;
  /** The key (prefix) of every channel; see {@linkcode directChannel}. */
  key: string;
  /** This server's uid. */
  uid: string;
  maxPending: number;
  maxRetryTime: number;
  /** Milliseconds between pings while nothing else arrives. */
  pingInterval: number;
  retry: { min: number; max: number };
  timers: ClusterTimers;
  /** A message addressed here arrived. */
  onMessage(message: string): void;
  /** Something failed; `lost` counts messages known to be given up. */
  onError(error: Error, lost: number): void;
  /** The subscription dropped: messages addressed here may have been lost. */
  onDown(): void;
}

const PING = "ping";
// Upstash refuses a request over 10 MB, so no message published here is longer: a forwarded
// request carries a body of up to maxHttpBufferSize (1 MB by default), a third more as base64.
const MAX_LINE = 10 * 1024 * 1024;

/**
 * The channel of the server `uid`.
 *
 * @param key The `key` option.
 * @param uid The server's uid.
 */
export function directChannel(key: string, uid: string): string {
  return `${key}-direct#${uid}#`;
}

/** What a sender needs. */
export type SenderOptions = Pick<
  DirectOptions,
  "redis" | "key" | "maxPending" | "maxRetryTime" | "retry" | "timers" | "onError"
>;

/** Publishes messages to other servers' channels, in order. */
export class DirectSender {
  readonly #o: SenderOptions;
  readonly #publisher: LogPublisher;
  // Settles once the last message published so far is (they leave in order).
  #last: Promise<unknown> = Promise.resolve();

  constructor(options: SenderOptions) {
    this.#o = options;
    this.#publisher = new LogPublisher({
      redis: options.redis,
      key: "",
      channel: "",
      size: 0,
      publishOnly: true,
      maxPending: options.maxPending,
      maxRetryTime: options.maxRetryTime,
      timers: options.timers,
      retry: options.retry,
      onError: options.onError,
    });
  }

  /** Publishes a message to the server `uid`, after those published to it before. */
  publish(uid: string, message: string, droppable = false): Promise<void> {
    const channel = directChannel(this.#o.key, uid);
    const published = this.#publisher.publish(message, droppable, channel).then(() => {});
    this.#last = published.catch(() => {});
    return published;
  }

  /** Settles once every message published so far has been sent (or given up). */
  sent(): Promise<unknown> {
    return this.#last;
  }

  /** Gives up what waits to be published. */
  close(): void {
    this.#publisher.close();
  }
}

/** Receives the messages addressed to this server (and pings its own channel while quiet). */
export class DirectChannel {
  readonly #o: DirectOptions;
  readonly #pings: DirectSender;
  readonly #subscription: SseSubscription;
  readonly #up = Promise.withResolvers<void>();
  #started = false;
  #closed = false;
  #lastData = 0;
  #pingTimer: unknown;

  constructor(options: DirectOptions) {
    this.#o = options;
    this.#pings = new DirectSender(options);
    this.#subscription = new SseSubscription({
      url: options.url,
      token: options.token,
      channel: directChannel(options.key, options.uid),
      fetch: options.fetch,
      timers: options.timers,
      idleTimeout: 3 * options.pingInterval,
      maxLine: MAX_LINE,
      retry: options.retry,
      onMessage: (_channel, data) => {
        this.#lastData = Date.now();
        if (data !== PING) options.onMessage(data);
      },
      onUp: () => {
        this.#lastData = Date.now();
        this.#up.resolve();
      },
      onDown: (error) => {
        options.onError(error, 0);
        options.onDown();
      },
    });
  }

  /** Subscribes (once); resolves when the subscription is first confirmed. */
  start(): Promise<void> {
    if (!this.#started && !this.#closed) {
      this.#started = true;
      this.#subscription.start();
      this.#schedulePing();
    }
    return this.#up.promise;
  }

  /** Unsubscribes. */
  close(): void {
    this.#closed = true;
    this.#o.timers.clearTimeout(this.#pingTimer);
    this.#subscription.close();
    this.#pings.close();
  }

  #schedulePing(): void {
    const { timers, pingInterval, uid } = this.#o;
    this.#pingTimer = timers.setTimeout(() => {
      if (this.#closed) return;
      if (Date.now() - this.#lastData >= pingInterval) {
        this.#pings.publish(uid, PING, true).catch(() => {});
      }
      this.#schedulePing();
    }, pingInterval);
  }
}
