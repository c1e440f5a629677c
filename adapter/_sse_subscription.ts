// One Upstash Server-Sent Events subscription, read with our own `fetch` rather than the SDK's
// `subscribe()`: the SDK neither notices a stream that ends or goes silent nor resubscribes
// (tests/fixtures/UPSTASH_NOTES.md), and a bus that silently stops delivering is the failure
// this adapter exists to avoid. Reconnects with exponential backoff and jitter; a stream that
// carries nothing for `idleTimeout` is taken for dead (the adapter's own heartbeats come back
// through it, so a live stream is never idle that long).

import { backoffDelay } from "./_checks.ts";
import type { ClusterTimers } from "./_cluster_requests.ts";

/** What a subscription needs. */
export interface SubscriptionOptions {
  /** The REST URL, e.g. `https://eu1-xyz.upstash.io`. */
  url: string;
  /** The REST token. */
  token: string;
  /** The channel, or the pattern when `pattern` is set. */
  channel: string;
  /** Whether `channel` is a PSUBSCRIBE pattern. */
  pattern?: boolean;
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Timers (injectable for tests). */
  timers: ClusterTimers;
  /** Milliseconds without any data before the stream is taken for dead. */
  idleTimeout: number;
  /** The longest line read, in UTF-16 units (1 MiB by default, as the SDK reads). */
  maxLine?: number;
  /** The first and the largest reconnection delay in milliseconds. */
  retry: { min: number; max: number };
  /**
   * For a pattern, the channel a `<channel>,<payload>` line was published on, when it is one of
   * the channels the reader knows (names with commas in them included); by default the text
   * before the first comma.
   */
  channelOf?(line: string): string | undefined;
  /** A message arrived (for a pattern, `channel` is the channel it was published on). */
  onMessage(channel: string, payload: string): void;
  /** The subscription is confirmed (first time and after every reconnection). */
  onUp(): void;
  /** The stream failed or ended; a reconnection is scheduled. */
  onDown(error: Error): void;
}

const MAX_LINE = 1 << 20;

/** A subscription that stays subscribed until closed. */
export class SseSubscription {
  readonly #o: SubscriptionOptions;
  #abort: AbortController | undefined;
  #started = false;
  #closed = false;
  #attempt = 0;
  #retryTimer: unknown;
  #idleTimer: unknown;
  #lastData = 0;

  constructor(options: SubscriptionOptions) {
    this.#o = options;
  }

  /** Opens the stream; once started, it reconnects by itself until closed. */
  start(): void {
    if (this.#closed || this.#started) return;
    this.#started = true;
    void this.#run();
  }

  /** Drops the current stream (if any) and subscribes again, as after a failure. */
  reconnect(): void {
    this.#abort?.abort(new Error(`Subscription to ${this.#o.channel} restarted`));
  }

  /** Closes the stream for good. */
  close(): void {
    this.#closed = true;
    this.#o.timers.clearTimeout(this.#retryTimer);
    this.#o.timers.clearTimeout(this.#idleTimer);
    this.#abort?.abort();
    this.#abort = undefined;
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const abort = this.#abort = new AbortController();
    try {
      const path = `${o.pattern ? "psubscribe" : "subscribe"}/${encodeURIComponent(o.channel)}`;
      const response = await o.fetch(`${o.url.replace(/\/+$/, "")}/${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${o.token}`,
          accept: "text/event-stream",
          "content-type": "application/json",
        },
        body: "[]",
        signal: abort.signal,
      });
      if (!response.ok || !response.body) {
        const text = await response.text().catch(() => "");
        throw new Error(`Cannot subscribe to ${o.channel}: HTTP ${response.status} ${text}`);
      }
      this.#watchIdle(abort);
      await this.#read(response.body);
      throw new Error(`Subscription to ${o.channel} ended`);
    } catch (error) {
      if (this.#closed) return;
      abort.abort();
      this.#abort = undefined;
      o.timers.clearTimeout(this.#idleTimer);
      o.onDown(error instanceof Error ? error : new Error(String(error)));
      this.#scheduleRetry();
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of body) {
      this.#lastData = Date.now();
      buffer += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line.startsWith("data: ")) this.#line(line.slice(6));
      }
      const max = this.#o.maxLine ?? MAX_LINE;
      if (buffer.length > max) throw new Error(`Subscription line exceeds ${max} characters`);
    }
  }

  #line(data: string): void {
    const first = data.indexOf(",");
    const second = data.indexOf(",", first + 1);
    if (first === -1 || second === -1) return;
    const type = data.slice(0, first);
    if (type === "subscribe" || type === "psubscribe") {
      this.#attempt = 0;
      this.#o.onUp();
    } else if (type === "message") {
      // The channel is known: one with a comma in it (from the `key` option) still reads.
      const known = `message,${this.#o.channel},`;
      if (!this.#o.pattern && data.startsWith(known)) {
        this.#o.onMessage(this.#o.channel, data.slice(known.length));
      } else this.#o.onMessage(data.slice(first + 1, second), data.slice(second + 1));
    } else if (type === "pmessage") {
      // The pattern is known too: one with a comma in it (from the `key` option) still reads.
      const known = `pmessage,${this.#o.channel},`;
      const rest = data.startsWith(known) ? data.slice(known.length) : data.slice(second + 1);
      const channel = this.#o.channelOf?.(rest) ?? rest.slice(0, Math.max(0, rest.indexOf(",")));
      if (channel && rest[channel.length] === ",") {
        this.#o.onMessage(channel, rest.slice(channel.length + 1));
      }
    }
  }

  #watchIdle(abort: AbortController): void {
    const { timers, idleTimeout } = this.#o;
    this.#lastData = Date.now();
    const check = () => {
      if (abort.signal.aborted) return;
      if (Date.now() - this.#lastData > idleTimeout) {
        abort.abort(new Error(`Subscription to ${this.#o.channel} idle for ${idleTimeout} ms`));
        return;
      }
      this.#idleTimer = timers.setTimeout(check, idleTimeout / 2);
    };
    this.#idleTimer = timers.setTimeout(check, idleTimeout / 2);
  }

  #scheduleRetry(): void {
    const { min, max } = this.#o.retry;
    const delay = backoffDelay(min, max, this.#attempt++);
    this.#retryTimer = this.#o.timers.setTimeout(() => {
      if (!this.#closed) void this.#run();
    }, delay);
  }
}
