/**
 * Engine.IO v4 packets and payloads (`EIO=4`): one packet per WebSocket frame, or packets
 * joined by the record separator `\x1e` in a long-polling body, binary as `b<base64>`.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";
import { type BinaryData, type BinaryType, toBinaryType, toUint8Array } from "./binary.ts";

/** The Engine.IO packet types, in wire order `0`…`6`. */
export type EnginePacketType =
  | "open"
  | "close"
  | "ping"
  | "pong"
  | "message"
  | "upgrade"
  | "noop";

/** One Engine.IO packet: a type, and for most types an optional text or binary body. */
export interface EnginePacket {
  /** What the packet means. */
  type: EnginePacketType;
  /** The body: text, or binary data (binary only on `message` packets). */
  data?: string | BinaryData;
}

/** The Engine.IO packet types by their digit on the wire. */
export const ENGINE_PACKET_TYPES: readonly EnginePacketType[] = Object.freeze(
  [
    "open",
    "close",
    "ping",
    "pong",
    "message",
    "upgrade",
    "noop",
  ] as const,
);

const TYPE_DIGIT: Readonly<Record<EnginePacketType, string>> = Object.freeze({
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
});

/** The record separator between packets in a v4 polling payload. */
export const RECORD_SEPARATOR = "\x1e";

/**
 * Encodes one Engine.IO v4 packet. Text packets become `<type digit><data>`; a binary
 * message stays binary when the transport carries binary frames, and becomes `b<base64>`
 * otherwise.
 *
 * @param packet The packet.
 * @param supportsBinary Whether the transport carries binary frames (WebSocket: `true`).
 * @returns The frame: a string, or the binary data itself.
 * @throws {TypeError} When binary data rides on a packet that is not a `message`, or a `Blob`
 * must become base64 (read it with `blob.arrayBuffer()` first).
 *
 * @example Text and binary
 * ```ts
 * import { encodePacket } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodePacket({ type: "message", data: "hello" }), "4hello");
 * assert.equal(encodePacket({ type: "message", data: new Uint8Array([1, 2, 3]) }, false), "bAQID");
 * ```
 */
export function encodePacket(packet: EnginePacket, supportsBinary = true): string | BinaryData {
  const { type, data } = packet;
  if (typeof data === "string") return TYPE_DIGIT[type] + data;
  if (data === undefined) return TYPE_DIGIT[type];
  if (type !== "message") {
    throw new TypeError(`Cannot encode packet: binary data on a "${type}" packet`);
  }
  if (supportsBinary) return data;
  if (!(data instanceof ArrayBuffer || ArrayBuffer.isView(data))) {
    throw new TypeError("Cannot encode packet: a Blob cannot be sent as base64; read it first");
  }
  return "b" + encodeBase64(toUint8Array(data));
}

/**
 * Decodes one Engine.IO v4 frame. A binary frame is a `message` with binary data.
 *
 * @param frame A text frame, or the bytes of a binary frame.
 * @param binaryType The form of decoded binary data.
 * @returns The packet.
 * @throws {SyntaxError} On an unknown packet type or invalid base64.
 *
 * @example
 * ```ts
 * import { decodePacket } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodePacket("4hello"), { type: "message", data: "hello" });
 * assert.deepEqual(decodePacket("2"), { type: "ping" });
 * assert.throws(() => decodePacket("9"), SyntaxError);
 * ```
 */
export function decodePacket(
  frame: string | ArrayBuffer | ArrayBufferView,
  binaryType: BinaryType = "uint8array",
): EnginePacket {
  if (typeof frame !== "string") {
    return { type: "message", data: toBinaryType(frame, binaryType) };
  }
  const code = frame.charCodeAt(0);
  if (code === 98 /* b */) {
    return { type: "message", data: toBinaryType(decodeBase64(frame.slice(1)), binaryType) };
  }
  const type = ENGINE_PACKET_TYPES[code - 48];
  if (type === undefined) {
    throw new SyntaxError(
      `Cannot decode Engine.IO packet: unknown type ${JSON.stringify(frame.slice(0, 1))}`,
    );
  }
  return frame.length > 1 ? { type, data: frame.slice(1) } : { type };
}

/**
 * Encodes packets as one v4 long-polling body: each packet as text (binary as base64),
 * joined by the record separator.
 *
 * @param packets The packets, in order.
 * @returns The body.
 *
 * @example
 * ```ts
 * import { encodePayload } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * const body = encodePayload([{ type: "message", data: "a" }, { type: "ping" }]);
 * assert.equal(body, "4a\x1e2");
 * ```
 */
export function encodePayload(packets: readonly EnginePacket[]): string {
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) out += RECORD_SEPARATOR;
    out += encodePacket(packets[i]!, false) as string;
  }
  return out;
}

/**
 * Decodes a v4 long-polling body into its packets.
 *
 * @param payload The body.
 * @param binaryType The form of decoded binary data.
 * @returns The packets, in order.
 * @throws {SyntaxError} When any packet in the body is invalid; nothing is returned then.
 *
 * @example
 * ```ts
 * import { decodePayload } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodePayload("4a\x1e2"), [{ type: "message", data: "a" }, { type: "ping" }]);
 * ```
 */
export function decodePayload(
  payload: string,
  binaryType: BinaryType = "uint8array",
): EnginePacket[] {
  const packets: EnginePacket[] = [];
  let start = 0;
  while (true) {
    const end = payload.indexOf(RECORD_SEPARATOR, start);
    packets.push(
      decodePacket(end === -1 ? payload.slice(start) : payload.slice(start, end), binaryType),
    );
    if (end === -1) return packets;
    start = end + 1;
  }
}
