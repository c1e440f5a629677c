/**
 * The options of the Upstash adapter, resolved and checked once.
 *
 * @module
 */

import { checkPositive, checkText, show } from "./_checks.ts";

const positive = (name: string, value: unknown) => checkPositive("UpstashAdapter", name, value);
const text = (name: string, value: unknown) => checkText("UpstashAdapter", name, value);
import { CLUSTER_DEFAULTS, type ClusterAdapterOptions } from "./cluster_options.ts";

/** The commands the Upstash adapter sends, as an `@upstash/redis` client offers them. */
export interface UpstashCommands {
  /** EVAL. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  /**
   * XRANGE with a count: Redis' own `[[id, [field, value, …]], …]`, or the SDK's object
   * `{ id: { field: value } }` (with automatic deserialization).
   */
  xrange(key: string, start: string, end: string, count?: number): Promise<unknown>;
  /** SET with options. */
  set(key: string, value: string, options: { px: number }): Promise<unknown>;
  /** HSET of several fields. */
  hset(key: string, fields: Record<string, string>): Promise<unknown>;
  /** HDEL. */
  hdel(key: string, ...fields: string[]): Promise<unknown>;
}

/** Options of {@linkcode createUpstashAdapter}. `url` and `token` are required. */
export interface UpstashAdapterOptions extends ClusterAdapterOptions {
  /** The REST URL of the database (`UPSTASH_REDIS_REST_URL`). */
  url: string;
  /** The REST token (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /**
   * The prefix of every channel and key.
   * @default {"socket.io"}
   */
  key?: string;
  /**
   * The client for commands; by default an `@upstash/redis` client made from `url` and `token`
   * (without automatic deserialization).
   */
  redis?: UpstashCommands;
  /** The `fetch` that reads the subscription stream (tests inject one). */
  fetch?: typeof fetch;
  /**
   * About how many messages the shared log keeps: what a node that lost its subscription can
   * read back, and how far back connection state recovery reaches.
   * @default {10000}
   */
  logSize?: number;
  /**
   * The most messages waiting while the store is unreachable; more are refused and reported.
   * @default {10000}
   */
  maxPending?: number;
  /**
   * Milliseconds a message may wait for an unreachable store before it is reported as failed.
   * @default {30000}
   */
  maxRetryTime?: number;
  /**
   * Milliseconds a recoverable broadcast waits for its log id before it is delivered here
   * without one (its clients then cannot recover it, but are not kept waiting).
   * @default {1000}
   */
  localDeliveryTimeout?: number;
  /**
   * The first delay before reconnecting or retrying, in milliseconds (doubling, with jitter).
   * @default {100}
   */
  retryDelay?: number;
  /**
   * The largest delay before reconnecting or retrying, in milliseconds.
   * @default {5000}
   */
  retryDelayMax?: number;
  /**
   * Whether to subscribe only on first use (a connection, a broadcast, a request) instead of at
   * `init()`. Workers forbid I/O outside a request, and an open subscription keeps an isolate
   * awake; a server that must hear `serverSideEmit` before any client connects sets `false`.
   * @default {true}
   */
  lazy?: boolean;
}

/** The options with their defaults. */
export interface ResolvedUpstashOptions {
  readonly url: string;
  readonly token: string;
  readonly key: string;
  readonly logSize: number;
  readonly maxPending: number;
  readonly maxRetryTime: number;
  readonly localDeliveryTimeout: number;
  readonly idleTimeout: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly requestsTimeout: number;
  readonly retry: { min: number; max: number };
  readonly lazy: boolean;
}

/**
 * Fills in the defaults and checks the values.
 *
 * @param options The options.
 * @returns The resolved options.
 * @throws {TypeError} When `url`, `token` or `key` is missing or not text.
 * @throws {RangeError} When a number is out of range.
 */
export function resolveUpstashOptions(options: UpstashAdapterOptions): ResolvedUpstashOptions {
  const url = text("url", options?.url);
  if (!/^https?:\/\//.test(url)) {
    throw new TypeError(
      `Cannot create UpstashAdapter: url must start with http:// or https://, current value is ${
        show(url)
      }`,
    );
  }
  const heartbeat = options.heartbeatInterval ?? CLUSTER_DEFAULTS.heartbeatInterval;
  return {
    url: url.replace(/\/+$/, ""),
    token: text("token", options.token),
    key: text("key", options.key ?? "socket.io"),
    logSize: positive("logSize", options.logSize ?? 10_000),
    maxPending: positive("maxPending", options.maxPending ?? 10_000),
    maxRetryTime: positive("maxRetryTime", options.maxRetryTime ?? 30_000),
    localDeliveryTimeout: positive("localDeliveryTimeout", options.localDeliveryTimeout ?? 1000),
    // The node's own heartbeats come back through its subscription: silence for three
    // intervals means the stream is dead even if the connection looks open.
    idleTimeout: 3 * heartbeat,
    heartbeatInterval: heartbeat,
    heartbeatTimeout: options.heartbeatTimeout ?? CLUSTER_DEFAULTS.heartbeatTimeout,
    requestsTimeout: options.requestsTimeout ?? CLUSTER_DEFAULTS.requestsTimeout,
    retry: {
      min: positive("retryDelay", options.retryDelay ?? 100),
      max: positive("retryDelayMax", options.retryDelayMax ?? 5000),
    },
    lazy: options.lazy ?? true,
  };
}
