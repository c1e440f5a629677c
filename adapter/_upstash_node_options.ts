// The options of the Node-compatible Upstash adapter, resolved and checked once.

import { checkPositive, checkText, show } from "./_checks.ts";
import type { AdapterOptions } from "./adapter.ts";

/**
 * Options of {@linkcode createUpstashNodeAdapter}. `url` and `token` are required; the others
 * mirror those of `@socket.io/redis-adapter` where it has them.
 *
 * @example Pointing at Upstash with the Node fleet's key
 * ```ts
 * import type { UpstashNodeAdapterOptions } from "@edgeio/edgeio/adapter/upstash-node";
 * import assert from "node:assert/strict";
 *
 * const options: UpstashNodeAdapterOptions = {
 *   url: "https://eu1-example.upstash.io",
 *   token: "secret",
 *   key: "my-app",
 *   requestsTimeout: 3000,
 * };
 * assert.equal(options.key, "my-app");
 * ```
 */
export interface UpstashNodeAdapterOptions extends AdapterOptions {
  /** The REST URL of the database (`UPSTASH_REDIS_REST_URL`). */
  url: string;
  /** The REST token (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /**
   * The prefix of every channel, the `key` option of the Node servers; no comma (the event
   * stream separates fields with commas).
   *
   * @default {"socket.io"}
   */
  key?: string;
  /**
   * Milliseconds to wait for the other servers' answers to `fetchSockets` (unless the `timeout`
   * flag says otherwise) and `serverSideEmit` with an ack, and for the client counts of a
   * broadcast with acks (unless its `timeout` flag says otherwise).
   *
   * @default {5000}
   */
  requestsTimeout?: number;
  /**
   * Whether answers go to the asking server's own channel (`<key>-response#<nsp>#<uid>#`)
   * instead of the shared one, as the Node option of the same name. Answers from Node servers
   * arrive on either.
   *
   * @default {false}
   */
  publishOnSpecificResponseChannel?: boolean;
  /**
   * Milliseconds of silence on the request channel after which this server pings it (Node
   * servers ignore the ping); a stream silent for three intervals is reopened.
   *
   * @default {10000}
   */
  heartbeatInterval?: number;
  /**
   * The first delay before reopening a dropped stream, in milliseconds (doubling, with jitter).
   *
   * @default {100}
   */
  retryDelay?: number;
  /**
   * The largest delay before reopening a dropped stream, in milliseconds.
   *
   * @default {5000}
   */
  retryDelayMax?: number;
  /**
   * Whether to subscribe only on first use (a connection, a broadcast, a request) instead of at
   * `init()`. A server that must hear `serverSideEmit` before any client connects sets `false`.
   *
   * @default {true}
   */
  lazy?: boolean;
  /** The `fetch` for commands and event streams (tests inject one). */
  fetch?: typeof fetch;
}

/** The options with their defaults. */
export interface ResolvedUpstashNodeOptions {
  readonly url: string;
  readonly token: string;
  readonly key: string;
  readonly requestsTimeout: number;
  readonly publishOnSpecificResponseChannel: boolean;
  readonly heartbeatInterval: number;
  readonly retry: { min: number; max: number };
  readonly lazy: boolean;
  readonly fetch: typeof fetch;
}

const ACTION = "Cannot create UpstashNodeAdapter";
const positive = (name: string, value: unknown) => checkPositive("UpstashNodeAdapter", name, value);
const text = (name: string, value: unknown) => checkText("UpstashNodeAdapter", name, value);

function flag(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`${ACTION}: ${name} must be a boolean, current value is ${show(value)}`);
  }
  return value;
}

/**
 * Fills in the defaults and checks the values.
 *
 * @throws {TypeError} When `url`, `token`, `key`, `fetch` or a flag is missing or mistyped.
 * @throws {RangeError} When a number is out of range.
 */
export function resolveUpstashNodeOptions(
  options: UpstashNodeAdapterOptions,
): ResolvedUpstashNodeOptions {
  const url = text("url", options?.url);
  if (!/^https?:\/\//.test(url)) {
    throw new TypeError(
      `${ACTION}: url must start with http:// or https://, current value is ${show(url)}`,
    );
  }
  const key = text("key", options.key ?? "socket.io");
  if (key.includes(",")) {
    throw new TypeError(`${ACTION}: key must not contain a comma, current value is ${show(key)}`);
  }
  const custom = options.fetch;
  if (custom !== undefined && typeof custom !== "function") {
    throw new TypeError(`${ACTION}: fetch must be a function, current value is ${show(custom)}`);
  }
  return {
    url: url.replace(/\/+$/, ""),
    token: text("token", options.token),
    key,
    requestsTimeout: positive("requestsTimeout", options.requestsTimeout ?? 5000),
    publishOnSpecificResponseChannel: flag(
      "publishOnSpecificResponseChannel",
      options.publishOnSpecificResponseChannel ?? false,
    ),
    heartbeatInterval: positive("heartbeatInterval", options.heartbeatInterval ?? 10_000),
    retry: {
      min: positive("retryDelay", options.retryDelay ?? 100),
      max: positive("retryDelayMax", options.retryDelayMax ?? 5000),
    },
    lazy: flag("lazy", options.lazy ?? true),
    fetch: custom ?? ((input, init) => fetch(input, init)),
  };
}
