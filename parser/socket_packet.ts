/**
 * Socket.IO packets (protocol v5, and v4 for Socket.IO v2 clients) and the rules that make
 * one valid.
 *
 * @module
 */

/**
 * The Socket.IO packet types, by name: a numeric enum as socket.io-parser declares it, so
 * bundlers inline the values.
 */
export enum PacketType {
  /** Connect to a namespace (the server answers with the socket id). */
  CONNECT = 0,
  /** Leave a namespace. */
  DISCONNECT = 1,
  /** An event. */
  EVENT = 2,
  /** The answer to an event that asked for one. */
  ACK = 3,
  /** The server refused the namespace connection. */
  CONNECT_ERROR = 4,
  /** An event with binary attachments. */
  BINARY_EVENT = 5,
  /** An ack with binary attachments. */
  BINARY_ACK = 6,
}

/** One Socket.IO packet, as the encoder takes it and the decoder gives it. */
export interface Packet {
  /** What the packet means. */
  type: PacketType;
  /** The namespace, `/` by default. In protocol v4 it may carry a query (`/admin?token=x`). */
  nsp: string;
  /** The payload: event arguments, ack arguments, auth or error data. */
  data?: unknown;
  /** The ack id, a non-negative safe integer. */
  id?: number;
  /** How many binary attachments follow (binary packets only). */
  attachments?: number;
}

/**
 * The protocol revisions: `5` for Socket.IO v3/v4 clients, `4` for Socket.IO v2 clients.
 */
export type ProtocolVersion = 4 | 5;

/** The protocol revision this parser speaks by default. */
export const protocol: ProtocolVersion = 5;

/** Event names with a meaning of their own: emitting them is an error. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

/**
 * Tells whether a value is a plain object (`{…}`), as a CONNECT payload must be.
 *
 * @param value Any value.
 * @returns `true` for plain objects, `false` for arrays, `null` and everything else.
 *
 * @example
 * ```ts
 * import { isPlainObject } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPlainObject({ token: "x" }), true);
 * assert.equal(isPlainObject([1]), false);
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === "[object Object]";
}

/**
 * Tells whether a payload suits a packet type: CONNECT carries an object (or nothing),
 * DISCONNECT nothing, EVENT an array led by a non-reserved event name or a number, ACK an
 * array, CONNECT_ERROR a string or an object.
 *
 * @param type The packet type.
 * @param data The payload, `undefined` when absent.
 * @param version The protocol revision; v4 (Socket.IO v2) allowed any object on CONNECT.
 * @returns `true` when the payload is valid for the type.
 *
 * @example
 * ```ts
 * import { isPayloadValid, PacketType } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPayloadValid(PacketType.EVENT, ["chat", "hi"]), true);
 * assert.equal(isPayloadValid(PacketType.EVENT, ["disconnect"]), false);
 * ```
 */
export function isPayloadValid(
  type: PacketType,
  data: unknown,
  version: ProtocolVersion = 5,
): boolean {
  switch (type) {
    case PacketType.CONNECT:
      return data === undefined || isPlainObject(data) ||
        (version === 4 && typeof data === "object" && data !== null);
    case PacketType.DISCONNECT:
      return data === undefined;
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(data)) return false;
      const name: unknown = data[0];
      return typeof name === "number" || (typeof name === "string" && !RESERVED_EVENTS.has(name));
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      return Array.isArray(data);
    case PacketType.CONNECT_ERROR:
      return typeof data === "string" || isPlainObject(data);
    default:
      return false;
  }
}

/**
 * Tells whether a whole packet is valid: a known type, a namespace string, an ack id that is a
 * non-negative safe integer (or absent) and a payload that suits the type. Custom parsers use
 * it to check what they decoded.
 *
 * @param packet The candidate packet.
 * @returns `true` when the packet is valid.
 *
 * @example
 * ```ts
 * import { isPacketValid } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPacketValid({ type: 2, nsp: "/", data: ["hi"], id: 1 }), true);
 * assert.equal(isPacketValid({ type: 2, nsp: "/", data: ["hi"], id: -1 }), false);
 * ```
 */
export function isPacketValid(packet: Packet): boolean {
  return typeof packet.nsp === "string" &&
    (packet.id === undefined || (Number.isSafeInteger(packet.id) && packet.id >= 0)) &&
    isPayloadValid(packet.type, packet.data);
}
