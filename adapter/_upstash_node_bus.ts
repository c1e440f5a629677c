// The transport of the Node-compatible Upstash adapter. Commands go out over Upstash's REST API
// one batch at a time (a lone command to `/`, several to `/pipeline`, which runs them in order),
// so messages reach Redis in the order they were published, as over the single connection of a
// Node server. Messages come in through two Server-Sent Events streams: one PSUBSCRIBE pattern
// that covers every channel of the namespace (broadcasts, requests, responses), so they arrive
// in the order Redis published them, and one plain SUBSCRIBE to the request channel whose only
// job is to be counted by `PUBSUB NUMSUB`, the way @socket.io/redis-adapter counts servers.
// A stream that carries nothing for three heartbeat intervals is taken for dead and reopened,
// so the bus pings the request channel in every interval that carried nothing else (Node
// servers ignore a request of an unknown type).

import type { ClusterTimers } from "./_cluster_requests.ts";
import { SseSubscription } from "./_sse_subscription.ts";

/** What the bus needs. */
export interface NodeBusOptions {
  url: string;
  token: string;
  fetch: typeof fetch;
  timers: ClusterTimers;
  /** The pattern that covers every channel of the namespace. */
  pattern: string;
  /** The request channel, subscribed to be counted. */
  presence: string;
  /** The text published on `presence` in every heartbeat interval that carried nothing else. */
  ping: string;
  heartbeatInterval: number;
  retry: { min: number; max: number };
  /**
   * A message arrived on the pattern stream: `<channel>,<payload>` (the channel may hold commas;
   * a text payload cannot tell them apart, the caller can by channel name).
   */
  onMessage(message: string): void;
  /** A publish failed or a stream dropped. */
  onError(error: Error): void;
}

interface Queued {
  command: string[];
  resolve(result: unknown): void;
  reject(error: Error): void;
}

const MAX_BATCH = 500;

/** Publishes to and receives from one namespace's channels. */
export class NodeBus {
  readonly #o: NodeBusOptions;
  readonly #streams: SseSubscription[];
  readonly #abort = new AbortController();
  readonly #ready: Promise<void>;
  #queue: Queued[] = [];
  #flushing: Promise<void> | undefined;
  #up = new Set<number>();
  #markReady: () => void = () => {};
  #markClosed: (error: Error) => void = () => {};
  #heard = false;
  #pingTimer: unknown;
  #started = false;
  #closed = false;

  constructor(options: NodeBusOptions) {
    this.#o = options;
    this.#ready = new Promise((resolve, reject) => {
      this.#markReady = resolve;
      this.#markClosed = reject;
    });
    this.#ready.catch(() => {});
    const common = {
      url: options.url,
      token: options.token,
      fetch: options.fetch,
      timers: options.timers,
      idleTimeout: 3 * options.heartbeatInterval,
      retry: options.retry,
      onDown: (error: Error) => options.onError(error),
    };
    this.#streams = [
      new SseSubscription({
        ...common,
        channel: options.pattern,
        pattern: true,
        onMessage: (channel, payload) => this.#onPatternMessage(`${channel},${payload}`),
        onUp: () => this.#onUp(0),
      }),
      new SseSubscription({
        ...common,
        channel: options.presence,
        onMessage: (_channel, payload) => {
          if (!payload.endsWith(options.ping)) this.#heard = true;
        },
        onUp: () => this.#onUp(1),
      }),
    ];
  }

  /** Opens both streams (idempotent). */
  start(): void {
    if (this.#closed || this.#started) return;
    this.#started = true;
    for (const stream of this.#streams) stream.start();
    this.#schedulePing();
  }

  /** Resolves once both streams were confirmed (the first time); rejects if closed first. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** PUBLISH, in order with every other command. */
  publish(channel: string, message: string): Promise<unknown> {
    return this.#send(["PUBLISH", channel, message]);
  }

  /** `PUBSUB NUMSUB channel`: how many connections subscribe to `channel`. */
  async numsub(channel: string): Promise<number> {
    const reply = await this.#send(["PUBSUB", "NUMSUB", channel]);
    const count = Array.isArray(reply) ? Number(reply[1]) : NaN;
    if (!Number.isInteger(count)) {
      throw new Error(`Cannot count servers: PUBSUB NUMSUB answered ${JSON.stringify(reply)}`);
    }
    return count;
  }

  /** Closes both streams, sends what is queued (for at most `ms`), then gives up the rest. */
  async close(ms: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#markClosed(new Error("Cannot reach the other servers: the adapter closed"));
    this.#o.timers.clearTimeout(this.#pingTimer);
    for (const stream of this.#streams) stream.close();
    let timer: unknown;
    const late = new Promise<void>((resolve) => timer = this.#o.timers.setTimeout(resolve, ms));
    await Promise.race([this.#flushing, late]);
    this.#o.timers.clearTimeout(timer);
    this.#abort.abort(new Error("Cannot publish: the adapter closed"));
    await this.#flushing;
  }

  // The stream reader cuts `pmessage,<pattern>,<channel>,<payload>` at commas, so a pattern with
  // commas (a namespace may have some) shifts its fields: put the channel back together.
  #onPatternMessage(message: string): void {
    const { pattern } = this.#o;
    const comma = pattern.indexOf(",");
    if (comma !== -1) {
      const rest = pattern.slice(comma + 1) + ",";
      if (!message.startsWith(rest)) return;
      message = message.slice(rest.length);
    }
    this.#o.onMessage(message);
  }

  #onUp(stream: number): void {
    this.#up.add(stream);
    if (this.#up.size === this.#streams.length) this.#markReady();
  }

  // A ping every interval in which the request channel carried nothing else, so a stream never
  // goes three intervals without data while the bus is up.
  #schedulePing(): void {
    const { heartbeatInterval, timers } = this.#o;
    this.#pingTimer = timers.setTimeout(() => {
      if (this.#closed) return;
      if (!this.#heard) this.publish(this.#o.presence, this.#o.ping).catch(() => {});
      this.#heard = false;
      this.#schedulePing();
    }, heartbeatInterval);
  }

  #send(command: string[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("Cannot publish: the adapter closed"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ command, resolve, reject });
      // A microtask later, so what is published in the same tick goes in one request.
      this.#flushing ??= Promise.resolve().then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        const replies = await this.#post(batch.map((item) => item.command));
        batch.forEach((item, i) => {
          const reply = replies[i] as { result?: unknown; error?: unknown } | undefined;
          if (reply && reply.error === undefined) item.resolve(reply.result);
          else item.reject(new Error(`Cannot publish: ${String(reply?.error ?? "no reply")}`));
        });
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const item of batch) item.reject(failure);
      }
    }
    this.#flushing = undefined;
  }

  async #post(commands: string[][]): Promise<unknown[]> {
    const single = commands.length === 1;
    const response = await this.#o.fetch(`${this.#o.url}${single ? "" : "/pipeline"}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.#o.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(single ? commands[0] : commands),
      signal: this.#abort.signal,
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Cannot publish: HTTP ${response.status} ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const error = (body as { error?: unknown } | null)?.error ?? text.slice(0, 200);
      throw new Error(`Cannot publish: HTTP ${response.status} ${String(error)}`);
    }
    if (single) return [body];
    if (!Array.isArray(body) || body.length !== commands.length) {
      throw new Error(`Cannot publish: the pipeline answered ${text.slice(0, 200)}`);
    }
    return body;
  }
}
