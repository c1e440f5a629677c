// The wire format of @socket.io/redis-adapter 8.3 (node_modules/@socket.io/redis-adapter/dist/
// index.js): channel names, request types, how messages are told apart, and the requests this
// server waits on. Broadcasts are `[uid, packet, { rooms, except, flags }]` through the parser;
// requests and responses are objects, sent by Node as JSON (most) or through the parser
// (BROADCAST and BROADCAST_ACK), and read either way: text starting with "{" is JSON. This side
// sends everything through the parser, which Node reads too, so binary survives where Node's
// JSON would turn a Buffer into `{ type: "Buffer", data }`.

import { isPlainObject } from "../parser/socket_packet.ts";
import type { ClusterTimers } from "./_cluster_requests.ts";
import { decodeBase64, encodeBase64 } from "../parser/base64.ts";
import { decodeMsgpack, encodeMsgpack } from "./_msgpack.ts";
import type { BroadcastOptions, SocketDetails } from "./types.ts";

/** The request types, numbered as the Node adapter numbers them. */
export enum RequestType {
  SOCKETS = 0,
  ALL_ROOMS = 1,
  REMOTE_JOIN = 2,
  REMOTE_LEAVE = 3,
  REMOTE_DISCONNECT = 4,
  REMOTE_FETCH = 5,
  SERVER_SIDE_EMIT = 6,
  BROADCAST = 7,
  BROADCAST_CLIENT_COUNT = 8,
  BROADCAST_ACK = 9,
}

/** What the ping this adapter publishes on a quiet request channel says; Node ignores it. */
export const PING_TYPE = "edgeio-ping";

/** The channels of one namespace. */
export interface Channels {
  /** `<key>#<nsp>#`, followed by `<room>#` for a broadcast to one room. */
  readonly broadcast: string;
  /** `<key>-request#<nsp>#`. */
  readonly request: string;
  /** `<key>-response#<nsp>#`, followed by `<uid>#` for one server's own channel. */
  readonly response: string;
  /** One PSUBSCRIBE pattern matching all three (and, rarely, channels of others). */
  readonly pattern: string;
}

// Redis glob: `*`, `?`, `[`, `]` and `\` are special; escaped, a key or namespace is literal.
const glob = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&");

/** The channels of namespace `nsp` under `key`. */
export function channelsOf(key: string, nsp: string): Channels {
  return {
    broadcast: `${key}#${nsp}#`,
    request: `${key}-request#${nsp}#`,
    response: `${key}-response#${nsp}#`,
    pattern: `${glob(key)}*#${glob(nsp)}#*`,
  };
}

/** The text parser both sides use: MessagePack, then base64 (single-line, event-stream safe). */
export const base64Msgpack = {
  encode: (value: unknown): string => encodeBase64(encodeMsgpack(value)),
  decode: (text: string): unknown => decodeMsgpack(decodeBase64(text)),
};

/**
 * A request or response as an object: JSON when the text starts with "{", else base64
 * MessagePack.
 *
 * @throws {SyntaxError} When it is neither, or not an object.
 */
export function decodeRequest(text: string): Record<string, unknown> {
  const value = text.startsWith("{") ? JSON.parse(text) : base64Msgpack.decode(text);
  if (!isPlainObject(value)) throw new SyntaxError("Cannot decode request: not an object");
  return value;
}

/** Broadcast options as the Node adapter sends them. */
export interface RawOptions {
  rooms: string[];
  except: string[];
  flags?: Record<string, unknown>;
}

/** Broadcast options as plain data, without flags (requests) or with them (broadcasts). */
export function rawOptions(opts: BroadcastOptions, withFlags: boolean): RawOptions {
  const raw: RawOptions = { rooms: [...opts.rooms], except: [...new Set(opts.except ?? [])] };
  if (withFlags) raw.flags = { ...opts.flags };
  return raw;
}

/**
 * Broadcast options from what a Node server sent.
 *
 * @throws {TypeError} When rooms or exceptions are not arrays.
 */
export function parseOptions(raw: unknown, withFlags: boolean): BroadcastOptions {
  const opts = isPlainObject(raw) ? raw : {};
  const list = (name: string, value: unknown) => {
    if (value === undefined || value === null) return new Set<string>();
    if (!Array.isArray(value)) {
      throw new TypeError(`Cannot handle request: opts.${name} must be an array`);
    }
    return new Set(value.map(String));
  };
  return {
    rooms: list("rooms", opts.rooms),
    except: list("except", opts.except),
    flags: withFlags && isPlainObject(opts.flags) ? opts.flags : {},
  };
}

/** What a request this server waits on does with each response, and as it ends. */
export interface Waiting {
  /** Takes one response; returns `true` when it was the last one expected. */
  take(response: Record<string, unknown>): boolean;
  /** The time ran out. */
  timedOut(): void;
  /** The adapter closed first. */
  closed(): void;
}

/** The open requests of one adapter, by request id; one timer each. */
export class WaitingRequests {
  readonly #timers: ClusterTimers;
  readonly #open = new Map<string, { waiting: Waiting; timer: unknown }>();

  constructor(timers: ClusterTimers) {
    this.#timers = timers;
  }

  /** Whether `id` is one of this adapter's open requests. */
  has(id: unknown): boolean {
    return typeof id === "string" && this.#open.has(id);
  }

  /** Opens request `id` for at most `ms`. */
  open(id: string, ms: number, waiting: Waiting): void {
    const timer = this.#timers.setTimeout(() => {
      if (this.#open.delete(id)) waiting.timedOut();
    }, ms);
    this.#open.set(id, { waiting, timer });
  }

  /** Hands a response to its request; ignored when the request is not open. */
  respond(id: unknown, response: Record<string, unknown>): void {
    if (typeof id !== "string") return;
    const entry = this.#open.get(id);
    if (!entry || !entry.waiting.take(response)) return;
    this.finish(id);
  }

  /** Ends request `id` without calling its handlers. */
  finish(id: string): void {
    const entry = this.#open.get(id);
    if (!entry) return;
    this.#open.delete(id);
    this.#timers.clearTimeout(entry.timer);
  }

  /** Ends every request, telling each that the adapter closed. */
  closeAll(): void {
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const { waiting, timer } of open) {
      this.#timers.clearTimeout(timer);
      waiting.closed();
    }
  }
}

/**
 * A broadcast with acks this server sent: adds the client counts of the other servers to its
 * own, reports the total once each of them reported (or `end()` is called), passes on each
 * client's answer, and calls `onEnd` once every counted answer came.
 */
export class BroadcastAcks {
  readonly #local: number;
  readonly #report: (clientCount: number) => void;
  readonly #ack: (answer: unknown) => void;
  readonly #onEnd: () => void;
  #total: number;
  #counted = 0;
  #expected = Infinity;
  #acked = 0;
  #reported = false;
  #ended = false;

  constructor(
    local: number,
    clientCountCallback: (clientCount: number) => void,
    ack: (answer: unknown) => void,
    onEnd: () => void,
  ) {
    this.#local = this.#total = local;
    this.#report = clientCountCallback;
    this.#ack = ack;
    this.#onEnd = onEnd;
  }

  /** How many other servers will report. */
  expect(servers: number): void {
    this.#expected = servers;
    this.#check();
  }

  /** One server's client count. */
  count(clientCount: number): void {
    this.#total += clientCount;
    this.#counted++;
    this.#check();
  }

  /** One remote client's answer. */
  ack(answer: unknown): void {
    if (this.#ended) return;
    this.#acked++;
    this.#ack(answer);
    this.#check();
  }

  /** Reports what was counted so far, if not yet done, and ends. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#reported) {
      this.#reported = true;
      this.#report(this.#total);
    }
    this.#onEnd();
  }

  #check(): void {
    if (this.#counted >= this.#expected && !this.#reported) {
      this.#reported = true;
      this.#report(this.#total);
    }
    if (this.#reported && this.#acked >= this.#total - this.#local) this.end();
  }
}

/**
 * A REMOTE_FETCH this server sent: `found` (its own sockets) grows with every answer; resolves
 * with it once `others` answered, rejects on timeout or close.
 */
export function socketsWaiting(
  found: SocketDetails[],
  others: number,
  ms: number,
  resolve: (sockets: SocketDetails[]) => void,
  reject: (error: Error) => void,
): Waiting {
  let answers = 0;
  return {
    take(response) {
      if (Array.isArray(response.sockets)) found.push(...(response.sockets as SocketDetails[]));
      if (++answers < others) return false;
      resolve(found);
      return true;
    },
    timedOut: () =>
      reject(
        new Error(
          `Cannot fetch sockets: timeout reached after ${ms} ms, ${answers} of ${others} servers answered`,
        ),
      ),
    closed: () => reject(new Error("Cannot fetch sockets: the adapter closed")),
  };
}

/**
 * A SERVER_SIDE_EMIT with an ack this server sent: `(null, responses)` once `others` answered;
 * on timeout or close, an error carrying `responses`, and the responses gathered so far.
 */
export function answersWaiting(
  others: number,
  ms: number,
  ack: (error: Error | null, responses: unknown[]) => void,
): Waiting {
  const responses: unknown[] = [];
  const fail = (error: Error) => ack(Object.assign(error, { responses }), responses);
  return {
    take(response) {
      responses.push(response.data);
      if (responses.length < others) return false;
      ack(null, responses);
      return true;
    },
    timedOut: () =>
      fail(
        new Error(
          `Cannot emit to other servers: timeout reached after ${ms} ms, ${responses.length} of ${others} servers answered`,
        ),
      ),
    closed: () => fail(new Error("Cannot emit to other servers: the adapter closed")),
  };
}
