// The event streams one server shares among its namespaces' Upstash adapters, so a server holds
// two streams however many namespaces it has (Workers allow six connections at once per
// invocation, and every open stream costs on Deno Deploy): one pattern subscription to
// `<key>#*`, which carries every namespace's log channel `<key>#<nsp>#` (each message goes to the
// bus of its channel), and the server's own channel `<key>-direct#<uid>#` for messages addressed
// to it (each carries its namespace). The namespaces of a server share its uid. The pattern
// stream opens when the first bus starts and closes when the last one leaves; the direct one
// opens on first use and closes with the last namespace.
//
// Hubs are found by the namespace's server, so two servers made with the same adapter class get
// hubs of their own; a namespace that names no server joins the first hub of its options without
// that namespace name.

import { randomId } from "./_cluster_requests.ts";
import type { ClusterTimers } from "./_cluster_requests.ts";
import { SseSubscription } from "./_sse_subscription.ts";
import type { BusListener, BusStream } from "./_upstash_bus.ts";
import { DirectChannel } from "./_upstash_direct.ts";
import type { LogRedis } from "./_upstash_log.ts";
import { decodeMessage } from "./cluster_codec.ts";
import type { ClusterMessage } from "./cluster_message.ts";

/** What a hub needs. */
export interface HubOptions {
  /** Makes the client for the direct channel's pings; its requests end with `signal`. */
  redis(signal: AbortSignal): LogRedis;
  url: string;
  token: string;
  fetch: typeof fetch;
  /** The `key` option. */
  key: string;
  /** The servers's uid, when the `uid` option sets it. */
  uid?: string | undefined;
  idleTimeout: number;
  pingInterval: number;
  maxPending: number;
  maxRetryTime: number;
  retry: { min: number; max: number };
  timers: ClusterTimers;
}

/** A namespace's adapter, as the hub reaches it. */
export interface HubMember {
  /** A message addressed to this server, for the member's namespace. */
  direct(message: ClusterMessage): void;
  /** The channel of messages addressed to this server dropped. */
  directDown(): void;
  /** Something shared failed; `lost` counts messages known to be given up. */
  error(error: Error, lost: number): void;
}

/**
 * Escapes the glob metacharacters of Redis patterns (`*`, `?`, `[`, `]`, `\`).
 *
 * @param text Literal text.
 * @returns A pattern matching exactly `text`.
 */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

// The hubs of each server (or, for namespaces that name none, of each options object).
const HUBS = new WeakMap<object, UpstashHub[]>();

/** The streams of one server. */
export class UpstashHub {
  /** The uid every namespace of the server takes. */
  readonly uid: string;
  readonly #o: HubOptions;
  readonly #owner: object;
  readonly #abort = new AbortController();
  readonly #pattern: string;
  readonly #members = new Map<string, HubMember>();
  // The buses that started, by log channel.
  readonly #listeners = new Map<string, BusListener>();
  // The length of the longest channel that ever listened (bounds the search in a line).
  #longest = 0;
  #stream: SseSubscription | undefined;
  #up = false;
  #direct: DirectChannel | undefined;
  #closed = false;

  /**
   * The hub a new adapter of namespace `nsp` joins: the first of `owner` without that namespace.
   *
   * @param owner The namespace's server, or else the adapters' options.
   * @param nsp The namespace name.
   * @param options How to make a new hub.
   */
  static for(owner: object, nsp: string, options: HubOptions): UpstashHub {
    const hubs = HUBS.get(owner) ?? [];
    HUBS.set(owner, hubs);
    const free = hubs.find((hub) => !hub.#members.has(nsp));
    if (free) return free;
    const hub = new UpstashHub(owner, options);
    hubs.push(hub);
    return hub;
  }

  private constructor(owner: object, options: HubOptions) {
    this.#owner = owner;
    this.#o = options;
    this.uid = options.uid ?? randomId();
    this.#pattern = `${globEscape(options.key)}#*`;
  }

  /** Open event streams: 0, 1 or 2. */
  get streams(): number {
    return (this.#stream ? 1 : 0) + (this.#direct ? 1 : 0);
  }

  /** Adds the adapter of namespace `nsp`. */
  join(nsp: string, member: HubMember): void {
    this.#members.set(nsp, member);
  }

  /** Removes the adapter of `nsp`; the last one to leave closes the streams. */
  leave(nsp: string, member: HubMember): void {
    if (this.#members.get(nsp) !== member) return;
    this.#members.delete(nsp);
    if (this.#members.size > 0) return;
    this.#closed = true;
    this.#closeStream();
    this.#direct?.close();
    this.#direct = undefined;
    this.#abort.abort(new Error("Cannot reach the store: the adapter closed"));
    const hubs = HUBS.get(this.#owner);
    hubs?.splice(hubs.indexOf(this), 1);
  }

  /**
   * The share of the pattern stream a namespace's bus drives.
   *
   * @param channel The namespace's log channel.
   */
  logStream(channel: string): (listener: BusListener) => BusStream {
    return (listener) => {
      // A bus that left never joins again (a start may still be on its way).
      let left = false;
      return {
        start: () => {
          if (left || this.#closed) return;
          this.#listeners.set(channel, listener);
          this.#longest = Math.max(this.#longest, channel.length);
          if (!this.#stream) this.#open();
          else if (this.#up) listener.up();
        },
        reconnect: () => {
          if (!left) this.#stream?.reconnect();
        },
        close: () => {
          left = true;
          if (this.#listeners.get(channel) !== listener) return;
          this.#listeners.delete(channel);
          if (this.#listeners.size === 0) this.#closeStream();
        },
      };
    };
  }

  /** Subscribes to this server's channel (once); resolves once it is first confirmed. */
  direct(): Promise<void> {
    if (this.#closed) return new Promise(() => {});
    this.#direct ??= new DirectChannel({
      redis: this.#o.redis(this.#abort.signal),
      url: this.#o.url,
      token: this.#o.token,
      fetch: this.#o.fetch,
      key: this.#o.key,
      uid: this.uid,
      maxPending: this.#o.maxPending,
      maxRetryTime: this.#o.maxRetryTime,
      pingInterval: this.#o.pingInterval,
      retry: this.#o.retry,
      timers: this.#o.timers,
      onMessage: (text) => this.#receiveDirect(text),
      onError: (error, lost) => this.#error(error, lost),
      onDown: () => {
        for (const member of [...this.#members.values()]) member.directDown();
      },
    });
    return this.#direct.start();
  }

  #open(): void {
    const stream = this.#stream = new SseSubscription({
      url: this.#o.url,
      token: this.#o.token,
      channel: this.#pattern,
      pattern: true,
      fetch: this.#o.fetch,
      timers: this.#o.timers,
      idleTimeout: this.#o.idleTimeout,
      retry: this.#o.retry,
      channelOf: (line) => this.#channelOf(line),
      onMessage: (channel, payload) => this.#listeners.get(channel)?.data(payload),
      onUp: () => {
        this.#up = true;
        for (const listener of [...this.#listeners.values()]) listener.up();
      },
      onDown: (error) => {
        this.#up = false;
        for (const listener of [...this.#listeners.values()]) listener.down(error);
      },
    });
    stream.start();
  }

  #closeStream(): void {
    this.#stream?.close();
    this.#stream = undefined;
    this.#up = false;
  }

  // The longest known channel the line starts with (a name may hold commas): channels end with
  // `#`, so only the prefixes ending at a `#,` within the longest channel's length are looked up,
  // whatever the number of namespaces.
  #channelOf(line: string): string | undefined {
    let found: string | undefined;
    const longest = this.#longest;
    for (let at = line.indexOf("#,"); at !== -1 && at < longest; at = line.indexOf("#,", at + 1)) {
      const channel = line.slice(0, at + 1);
      if (this.#listeners.has(channel)) found = channel;
    }
    return found;
  }

  #receiveDirect(text: string): void {
    let message: ClusterMessage;
    try {
      message = decodeMessage(text);
    } catch (error) {
      return this.#error(error, 0);
    }
    // A namespace that closed meanwhile: its sender times out, as with a server that left.
    this.#members.get(message.nsp)?.direct(message);
  }

  #error(error: unknown, lost: number): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const member of [...this.#members.values()]) member.error(failure, lost);
  }
}
