/**
 * The messages the servers of a cluster exchange, shaped as socket.io-adapter 2.5's
 * `ClusterAdapter` shapes them (`uid`, `nsp`, `type`, `data`, the same type numbers), and the
 * check that turns untrusted input into one of them.
 *
 * @module
 */

import { isPlainObject, type Packet, PacketType } from "../parser/socket_packet.ts";
import { show } from "./_checks.ts";
import type { BroadcastFlags, Room, SocketDetails } from "./types.ts";

/**
 * The kinds of cluster message, numbered as socket.io-adapter 2.5 numbers them, so a message is
 * recognisable on the wire.
 *
 * @example
 * ```ts
 * import { MessageType } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MessageType.BROADCAST, 3);
 * assert.equal(MessageType[13], "ADAPTER_CLOSE");
 * ```
 */
export enum MessageType {
  /** A server starts: the others answer with a HEARTBEAT so it learns about them. */
  INITIAL_HEARTBEAT = 1,
  /** A server is alive. */
  HEARTBEAT = 2,
  /** Deliver a packet to the matching sockets (with `requestId`: and collect their acks). */
  BROADCAST = 3,
  /** Make the matching sockets join rooms. */
  SOCKETS_JOIN = 4,
  /** Make the matching sockets leave rooms. */
  SOCKETS_LEAVE = 5,
  /** Disconnect the matching sockets. */
  DISCONNECT_SOCKETS = 6,
  /** Describe the matching sockets. */
  FETCH_SOCKETS = 7,
  /** The answer to FETCH_SOCKETS. */
  FETCH_SOCKETS_RESPONSE = 8,
  /** An event for the other servers (with `requestId`: each answers once). */
  SERVER_SIDE_EMIT = 9,
  /** One server's answer to SERVER_SIDE_EMIT. */
  SERVER_SIDE_EMIT_RESPONSE = 10,
  /** How many clients a BROADCAST with acks reached on one server. */
  BROADCAST_CLIENT_COUNT = 11,
  /** One client's ack of a BROADCAST. */
  BROADCAST_ACK = 12,
  /** A server leaves the cluster. */
  ADAPTER_CLOSE = 13,
  /**
   * An HTTP request for a session another server owns, handed to that server (`target`); an
   * edgeio extension, not part of socket.io-adapter.
   */
  FORWARD_REQUEST = 14,
  /**
   * The owner's answer to FORWARD_REQUEST, and to RELAY_OPEN (status `101` when the owner
   * accepted the upgrade); an edgeio extension.
   */
  FORWARD_RESPONSE = 15,
  /**
   * A WebSocket upgrade request for a session another server owns, handed to that server
   * (`target`), which runs its usual checks and answers with FORWARD_RESPONSE: `101` when it
   * takes the relayed socket as the session's transport, else the error it would answer
   * directly. `requestId` then names the relay in both directions; an edgeio extension.
   */
  RELAY_OPEN = 16,
  /**
   * One WebSocket frame of a relay (text, or binary as bytes), for `target`; `seq` counts the
   * messages of one direction from 0, so a lost one is noticed; a large frame travels in parts,
   * each but the last with `more: true`; an edgeio extension.
   */
  RELAY_FRAME = 17,
  /** A relay ends (its socket closed on either side), for `target`; an edgeio extension. */
  RELAY_CLOSE = 18,
}

/**
 * An HTTP request as plain data, for {@linkcode MessageType.FORWARD_REQUEST}: headers as
 * name/value pairs, the body as bytes (none for a GET).
 *
 * @example
 * ```ts
 * import type { ForwardedRequest } from "@edgeio/edgeio/adapter";
 *
 * const poll: ForwardedRequest = {
 *   method: "GET",
 *   url: "http://localhost/socket.io/?EIO=4&transport=polling&sid=a1.xyz",
 *   headers: [["accept", "text/plain"]],
 * };
 * ```
 */
export interface ForwardedRequest {
  /** The method. */
  method: string;
  /** The full URL. */
  url: string;
  /** The headers, in order. */
  headers: [string, string][];
  /** The body, if any. */
  body?: Uint8Array;
}

/**
 * An HTTP response as plain data, for {@linkcode MessageType.FORWARD_RESPONSE}.
 *
 * @example
 * ```ts
 * import type { ForwardedResponse } from "@edgeio/edgeio/adapter";
 *
 * const ok: ForwardedResponse = {
 *   status: 200,
 *   headers: [["content-type", "text/html"]],
 *   body: new TextEncoder().encode("ok"),
 * };
 * ```
 */
export interface ForwardedResponse {
  /** The status code. */
  status: number;
  /** The headers, in order (`set-cookie` once per cookie). */
  headers: [string, string][];
  /** The body. */
  body: Uint8Array;
}

/**
 * One WebSocket frame of a relay ({@linkcode MessageType.RELAY_FRAME}): text, or binary as bytes.
 *
 * @example
 * ```ts
 * import type { RelayFrame } from "@edgeio/edgeio/adapter";
 *
 * const frames: RelayFrame[] = ["2probe", new Uint8Array([4, 1, 2])];
 * ```
 */
export type RelayFrame = string | Uint8Array;

/**
 * What a {@linkcode RelayLink} hands over.
 *
 * @example
 * ```ts
 * import type { RelayListener } from "@edgeio/edgeio/adapter";
 *
 * const frames: unknown[] = [];
 * const listener: RelayListener = {
 *   frame: (data) => frames.push(data),
 *   closed: (code, reason) => frames.push({ code, reason }),
 * };
 * listener.frame("3probe");
 * ```
 */
export interface RelayListener {
  /** A frame from the other side, in order. */
  frame(data: RelayFrame): void;
  /** The link ended: the other side closed (with its code and reason), or it failed. */
  closed(code: number | undefined, reason: string | undefined): void;
}

/**
 * One relayed WebSocket as the cluster carries it (see `ClusterAdapter.openRelay`): frames both
 * ways between this server and `peer`, in order. Bounded: frames waiting for a listener, and
 * frames handed to the transport and not yet sent; past a bound, or when a frame is missing,
 * the link closes on both sides with code 1011.
 *
 * @example Echoing every frame back
 * ```ts
 * import type { RelayLink } from "@edgeio/edgeio/adapter";
 *
 * function echo(link: RelayLink): void {
 *   link.attach({ frame: (data) => link.send(data), closed: () => {} });
 * }
 * ```
 */
export interface RelayLink {
  /** The relay's id (the RELAY_OPEN request's id). */
  readonly id: string;
  /** The other server's uid. */
  readonly peer: string;
  /** Whether it ended. */
  readonly closed: boolean;
  /** Sends a frame to the other side; ignored once closed. */
  send(data: RelayFrame): void;
  /** Ends the link and tells the other side (which sees `code` and `reason`). */
  close(code?: number, reason?: string): void;
  /** Starts handing over frames (those that came before first, in order). */
  attach(listener: RelayListener): void;
}

/** Broadcast options as plain data: whom a remote operation reaches. */
export interface ClusterBroadcastOptions {
  /** The target rooms; empty means every socket of the namespace. */
  rooms: Room[];
  /** Rooms whose sockets are left out. */
  except: Room[];
  /** How the packet travels. */
  flags: BroadcastFlags;
}

/**
 * A cluster message with a payload: who sent it, for which namespace, what it means.
 *
 * @typeParam T The message type.
 * @typeParam D The payload.
 *
 * @example
 * ```ts
 * import { type ClusterEnvelope, MessageType } from "@edgeio/edgeio/adapter";
 *
 * const join: ClusterEnvelope<MessageType.SOCKETS_JOIN, { opts: unknown; rooms: string[] }> = {
 *   uid: "a1",
 *   nsp: "/",
 *   type: MessageType.SOCKETS_JOIN,
 *   data: { opts: { rooms: ["lobby"], except: [], flags: {} }, rooms: ["vip"] },
 * };
 * ```
 */
export interface ClusterEnvelope<T extends MessageType, D> {
  /** The sending adapter's id. */
  uid: string;
  /** The namespace. */
  nsp: string;
  /** What the message means. */
  type: T;
  /** Its payload. */
  data: D;
}

/**
 * A cluster message without a payload: a heartbeat or a goodbye.
 *
 * @typeParam T The message type.
 *
 * @example
 * ```ts
 * import { type ClusterSignal, MessageType } from "@edgeio/edgeio/adapter";
 *
 * const beat: ClusterSignal<MessageType.HEARTBEAT> = { uid: "a1", nsp: "/", type: 2 };
 * ```
 */
export interface ClusterSignal<T extends MessageType> {
  /** The sending adapter's id. */
  uid: string;
  /** The namespace. */
  nsp: string;
  /** What the message means. */
  type: T;
  /** Nothing: signals carry no payload. */
  data?: undefined;
}

/**
 * One message between the servers of a cluster. Everything is plain JSON-able data except the
 * packet payloads (event arguments, acks, socket data), which may hold binary values; see
 * {@linkcode encodeMessage} for a text form.
 *
 * @example A broadcast to a room
 * ```ts
 * import { type ClusterMessage, MessageType } from "@edgeio/edgeio/adapter";
 *
 * const message: ClusterMessage = {
 *   uid: "4f1c9a2b7d3e8a60",
 *   nsp: "/",
 *   type: MessageType.BROADCAST,
 *   data: {
 *     packet: { type: 2, nsp: "/", data: ["news", "rain"] },
 *     opts: { rooms: ["weather"], except: [], flags: {} },
 *   },
 * };
 * ```
 */
export type ClusterMessage =
  | ClusterSignal<MessageType.INITIAL_HEARTBEAT | MessageType.HEARTBEAT | MessageType.ADAPTER_CLOSE>
  | ClusterEnvelope<
    MessageType.BROADCAST,
    { packet: Packet; opts: ClusterBroadcastOptions; requestId?: string }
  >
  | ClusterEnvelope<
    MessageType.SOCKETS_JOIN | MessageType.SOCKETS_LEAVE,
    { opts: ClusterBroadcastOptions; rooms: Room[] }
  >
  | ClusterEnvelope<
    MessageType.DISCONNECT_SOCKETS,
    { opts: ClusterBroadcastOptions; close: boolean }
  >
  | ClusterEnvelope<MessageType.FETCH_SOCKETS, { opts: ClusterBroadcastOptions; requestId: string }>
  | ClusterEnvelope<
    MessageType.FETCH_SOCKETS_RESPONSE,
    { requestId: string; sockets: SocketDetails[] }
  >
  | ClusterEnvelope<MessageType.SERVER_SIDE_EMIT, { packet: unknown[]; requestId?: string }>
  | ClusterEnvelope<MessageType.SERVER_SIDE_EMIT_RESPONSE, { requestId: string; packet: unknown }>
  | ClusterEnvelope<MessageType.BROADCAST_CLIENT_COUNT, { requestId: string; clientCount: number }>
  | ClusterEnvelope<
    MessageType.BROADCAST_ACK,
    // `packet` is the client's first ack argument, as socket.io sends it; `args` all of them,
    // when there were not exactly one.
    { requestId: string; packet: unknown; args?: unknown[] }
  >
  | ClusterEnvelope<
    MessageType.FORWARD_REQUEST,
    { requestId: string; target: string; request: ForwardedRequest }
  >
  | ClusterEnvelope<
    MessageType.FORWARD_RESPONSE,
    { requestId: string; response: ForwardedResponse }
  >
  | ClusterEnvelope<
    MessageType.RELAY_OPEN,
    { requestId: string; target: string; request: ForwardedRequest }
  >
  | ClusterEnvelope<
    MessageType.RELAY_FRAME,
    { relayId: string; target: string; seq: number; frame: RelayFrame; more?: boolean }
  >
  | ClusterEnvelope<
    MessageType.RELAY_CLOSE,
    { relayId: string; target: string; code?: number; reason?: string }
  >;

// A message being checked: `at` names where the problem lies.
type Check = (value: unknown, at: string) => void;

function fail(at: string, rule: string, value: unknown): never {
  throw new SyntaxError(`Cannot read cluster message: ${at} must be ${rule}, got ${show(value)}`);
}

const isObject: Check = (value, at) => {
  if (!isPlainObject(value)) fail(at, "an object", value);
};
const isString: Check = (value, at) => {
  if (typeof value !== "string") fail(at, "a string", value);
};
const isId: Check = (value, at) => {
  if (typeof value !== "string" || value === "") fail(at, "a non-empty string", value);
};
const isStrings: Check = (value, at) => {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    fail(at, "an array of strings", value);
  }
};
const isCount: Check = (value, at) => {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    fail(at, "a non-negative integer", value);
  }
};

const BOOLEAN_FLAGS = ["volatile", "compress", "local", "broadcast", "binary"] as const;

function checkOptions(value: unknown, at: string): void {
  isObject(value, at);
  const opts = value as Record<string, unknown>;
  isStrings(opts.rooms, `${at}.rooms`);
  // socket.io-adapter may leave these out.
  if (opts.except === undefined) opts.except = [];
  isStrings(opts.except, `${at}.except`);
  if (opts.flags === undefined) opts.flags = {};
  isObject(opts.flags, `${at}.flags`);
  const flags = opts.flags as Record<string, unknown>;
  for (const name of BOOLEAN_FLAGS) {
    const flag = flags[name];
    if (flag !== undefined && typeof flag !== "boolean") {
      fail(`${at}.flags.${name}`, "a boolean", flag);
    }
  }
  const timeout = flags.timeout;
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
    fail(`${at}.flags.timeout`, "a number ≥ 0", timeout);
  }
}

function checkPacket(value: unknown, at: string): void {
  isObject(value, at);
  const packet = value as Record<string, unknown>;
  if (typeof packet.type !== "number" || PacketType[packet.type] === undefined) {
    fail(`${at}.type`, "a packet type", packet.type);
  }
  isString(packet.nsp, `${at}.nsp`);
  if (packet.id !== undefined) isCount(packet.id, `${at}.id`);
}

function checkHeaders(value: unknown, at: string): void {
  const pairs = Array.isArray(value) &&
    value.every((pair) =>
      Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string" &&
      typeof pair[1] === "string"
    );
  if (!pairs) fail(at, "an array of [name, value] string pairs", value);
}

function checkBytes(value: unknown, at: string): void {
  if (!(value instanceof Uint8Array)) fail(at, "a Uint8Array", value);
}

function checkRequest(value: unknown, at: string): void {
  isObject(value, at);
  const request = value as Record<string, unknown>;
  isId(request.method, `${at}.method`);
  isId(request.url, `${at}.url`);
  checkHeaders(request.headers, `${at}.headers`);
  if (request.body !== undefined) checkBytes(request.body, `${at}.body`);
}

function checkResponse(value: unknown, at: string): void {
  isObject(value, at);
  const response = value as Record<string, unknown>;
  const status = response.status;
  const accepted = status === 101;
  if (
    !accepted &&
    (!Number.isSafeInteger(status) || (status as number) < 200 || (status as number) > 599)
  ) {
    fail(`${at}.status`, "101 or an HTTP status from 200 to 599", status);
  }
  checkHeaders(response.headers, `${at}.headers`);
  checkBytes(response.body, `${at}.body`);
}

function checkSocket(value: unknown, at: string): void {
  isObject(value, at);
  const socket = value as Record<string, unknown>;
  isId(socket.id, `${at}.id`);
  isStrings(socket.rooms, `${at}.rooms`);
}

// What each type's `data` holds; `requestId` is checked for every type that names it here.
const SHAPES: Record<MessageType, Record<string, Check> | undefined> = {
  [MessageType.INITIAL_HEARTBEAT]: undefined,
  [MessageType.HEARTBEAT]: undefined,
  [MessageType.ADAPTER_CLOSE]: undefined,
  [MessageType.BROADCAST]: { packet: checkPacket, opts: checkOptions },
  [MessageType.SOCKETS_JOIN]: { opts: checkOptions, rooms: isStrings },
  [MessageType.SOCKETS_LEAVE]: { opts: checkOptions, rooms: isStrings },
  [MessageType.DISCONNECT_SOCKETS]: {
    opts: checkOptions,
    close: (value, at) => typeof value === "boolean" || fail(at, "a boolean", value),
  },
  [MessageType.FETCH_SOCKETS]: { opts: checkOptions, requestId: isId },
  [MessageType.FETCH_SOCKETS_RESPONSE]: {
    requestId: isId,
    sockets: (value, at) => {
      if (!Array.isArray(value)) fail(at, "an array", value);
      value.forEach((socket, i) => checkSocket(socket, `${at}[${i}]`));
    },
  },
  [MessageType.SERVER_SIDE_EMIT]: {
    packet: (value, at) => Array.isArray(value) || fail(at, "an array", value),
  },
  [MessageType.SERVER_SIDE_EMIT_RESPONSE]: { requestId: isId },
  [MessageType.BROADCAST_CLIENT_COUNT]: { requestId: isId, clientCount: isCount },
  [MessageType.BROADCAST_ACK]: {
    requestId: isId,
    args: (value, at) => value === undefined || Array.isArray(value) || fail(at, "an array", value),
  },
  [MessageType.FORWARD_REQUEST]: { requestId: isId, target: isId, request: checkRequest },
  [MessageType.FORWARD_RESPONSE]: { requestId: isId, response: checkResponse },
  [MessageType.RELAY_OPEN]: { requestId: isId, target: isId, request: checkRequest },
  [MessageType.RELAY_FRAME]: {
    relayId: isId,
    target: isId,
    seq: isCount,
    frame: (value, at) => typeof value === "string" || checkBytes(value, at),
    more: (value, at) =>
      value === undefined || typeof value === "boolean" || fail(at, "a boolean", value),
  },
  [MessageType.RELAY_CLOSE]: {
    relayId: isId,
    target: isId,
    code: (value, at) => value === undefined || isCount(value, at),
    reason: (value, at) => value === undefined || isString(value, at),
  },
};

/**
 * Checks that a value is a well-formed {@linkcode ClusterMessage}: a known type, a sender id,
 * a namespace, and the data that type carries (socket.io-adapter's optional `except` and
 * `flags` are filled in when missing). Packet payloads are not looked into.
 *
 * @param value What a transport received (decoded from text or msgpack).
 * @returns The same object, typed.
 * @throws {SyntaxError} When it is not a cluster message; the message says what is wrong.
 *
 * @example
 * ```ts
 * import { checkMessage, MessageType } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const message = checkMessage({ uid: "a1", nsp: "/", type: 2 });
 * assert.equal(message.type, MessageType.HEARTBEAT);
 * assert.throws(
 *   () => checkMessage({ uid: "a1", nsp: "/", type: 42 }),
 *   { name: "SyntaxError", message: "Cannot read cluster message: type must be a message type, got 42" },
 * );
 * ```
 */
export function checkMessage(value: unknown): ClusterMessage {
  isObject(value, "the message");
  const message = value as Record<string, unknown>;
  isId(message.uid, "uid");
  isString(message.nsp, "nsp");
  const type = message.type;
  if (typeof type !== "number" || MessageType[type] === undefined) {
    fail("type", "a message type", type);
  }
  const shape = SHAPES[type as MessageType];
  if (shape) {
    isObject(message.data, "data");
    const data = message.data as Record<string, unknown>;
    if ("requestId" in data && data.requestId !== undefined) isId(data.requestId, "data.requestId");
    for (const [key, check] of Object.entries(shape)) check(data[key], `data.${key}`);
  }
  return value as ClusterMessage;
}
