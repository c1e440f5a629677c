/**
 * Engine.IO v3 packets and payloads (`EIO=3`, used by Socket.IO v2 clients).
 *
 * - A binary packet keeps its type as a leading byte (WebSocket frames), or becomes
 *   `b<type digit><base64>` when the transport carries only text.
 * - A text polling payload frames each packet as `<length>:<packet>`, the length counting
 *   UTF-16 code units (JavaScript `string.length`); an empty payload is `0:`.
 * - A binary polling payload (XHR2 clients) frames each packet as a marker byte (`0` text,
 *   `1` binary), the length as one byte per decimal digit, `255`, then the packet; text is
 *   UTF-8 and its length counts bytes.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";
import {
  type BinaryData,
  type BinaryType,
  concatBytes,
  toBinaryType,
  toUint8Array,
} from "./binary.ts";
import { ENGINE_PACKET_TYPES, type EnginePacket, type EnginePacketType } from "./engine_packet.ts";

const MAX_LENGTH_DIGITS = 15;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function typeCode(type: EnginePacketType): number {
  return ENGINE_PACKET_TYPES.indexOf(type);
}

function bytesOf(data: BinaryData): Uint8Array {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return toUint8Array(data);
  throw new TypeError("Cannot encode packet: a Blob must be read before an EIO=3 encoding");
}

/**
 * Encodes one Engine.IO v3 packet. Binary data becomes its type byte followed by the bytes
 * when the transport carries binary, and `b<type digit><base64>` otherwise.
 *
 * @param packet The packet.
 * @param supportsBinary Whether the transport carries binary frames.
 * @returns The frame.
 * @throws {TypeError} When the data is a `Blob` (read it with `blob.arrayBuffer()` first).
 *
 * @example
 * ```ts
 * import { encodePacketV3 } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodePacketV3({ type: "message", data: "hi" }), "4hi");
 * assert.deepEqual(encodePacketV3({ type: "message", data: new Uint8Array([7]) }), new Uint8Array([4, 7]));
 * assert.equal(encodePacketV3({ type: "message", data: new Uint8Array([7]) }, false), "b4Bw==");
 * ```
 */
export function encodePacketV3(packet: EnginePacket, supportsBinary = true): string | Uint8Array {
  const { type, data } = packet;
  const code = typeCode(type);
  if (typeof data === "string") return code + data;
  if (data === undefined) return String(code);
  const bytes = bytesOf(data);
  if (!supportsBinary) return "b" + code + encodeBase64(bytes);
  const frame = new Uint8Array(bytes.length + 1);
  frame[0] = code;
  frame.set(bytes, 1);
  return frame;
}

/**
 * Decodes one Engine.IO v3 frame.
 *
 * @param frame A text frame, or a binary frame whose first byte is the packet type.
 * @param binaryType The form of decoded binary data.
 * @returns The packet.
 * @throws {SyntaxError} On an unknown packet type, an empty binary frame or invalid base64.
 *
 * @example
 * ```ts
 * import { decodePacketV3 } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodePacketV3("b4Bw=="), { type: "message", data: new Uint8Array([7]) });
 * assert.deepEqual(decodePacketV3(new Uint8Array([4, 7])), { type: "message", data: new Uint8Array([7]) });
 * ```
 */
export function decodePacketV3(
  frame: string | ArrayBuffer | ArrayBufferView,
  binaryType: BinaryType = "uint8array",
): EnginePacket {
  if (typeof frame === "string") {
    if (frame.charCodeAt(0) === 98 /* b */) {
      const type = typeOf(frame.charCodeAt(1) - 48, frame.slice(1, 2));
      return { type, data: toBinaryType(decodeBase64(frame.slice(2)), binaryType) };
    }
    const type = typeOf(frame.charCodeAt(0) - 48, frame.slice(0, 1));
    return frame.length > 1 ? { type, data: frame.slice(1) } : { type };
  }
  const bytes = toUint8Array(frame);
  if (bytes.length === 0) throw new SyntaxError("Cannot decode Engine.IO packet: empty frame");
  const type = typeOf(bytes[0]!, `byte ${bytes[0]}`);
  return { type, data: toBinaryType(bytes.subarray(1), binaryType) };
}

function typeOf(code: number, shown: string): EnginePacketType {
  const type = ENGINE_PACKET_TYPES[code];
  if (type === undefined) {
    throw new SyntaxError(`Cannot decode Engine.IO packet: unknown type ${JSON.stringify(shown)}`);
  }
  return type;
}

/**
 * Encodes packets as one v3 long-polling body. With `supportsBinary` and binary data among the
 * packets, the body is the binary framing; otherwise text with length prefixes (binary as
 * base64, as clients that sent `b64=1` need).
 *
 * @param packets The packets, in order.
 * @param supportsBinary Whether the client reads binary bodies (XHR2; not `b64=1`, not JSONP).
 * @returns The body.
 *
 * @example
 * ```ts
 * import { encodePayloadV3 } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodePayloadV3([{ type: "message", data: "é" }, { type: "noop" }]), "2:4é1:6");
 * assert.equal(encodePayloadV3([]), "0:");
 * ```
 */
export function encodePayloadV3(
  packets: readonly EnginePacket[],
  supportsBinary = false,
): string | Uint8Array {
  if (supportsBinary && packets.some((p) => p.data !== undefined && typeof p.data !== "string")) {
    return encodeBinaryPayload(packets);
  }
  if (packets.length === 0) return "0:";
  let out = "";
  for (const packet of packets) {
    const text = encodePacketV3(packet, false) as string;
    out += text.length + ":" + text;
  }
  return out;
}

function encodeBinaryPayload(packets: readonly EnginePacket[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const packet of packets) {
    const frame = encodePacketV3(packet, true);
    const isText = typeof frame === "string";
    const body = isText ? textEncoder.encode(frame) : frame;
    const digits = String(body.length);
    const header = new Uint8Array(digits.length + 2);
    header[0] = isText ? 0 : 1;
    for (let i = 0; i < digits.length; i++) header[i + 1] = digits.charCodeAt(i) - 48;
    header[header.length - 1] = 255;
    parts.push(header, body);
  }
  return concatBytes(parts);
}

/**
 * Decodes a v3 long-polling body, text or binary, into its packets.
 *
 * @param payload The body: text, or the bytes of a binary body.
 * @param binaryType The form of decoded binary data.
 * @returns The packets, in order.
 * @throws {SyntaxError} On a bad length prefix, a truncated packet or an invalid packet;
 * nothing is returned then.
 *
 * @example
 * ```ts
 * import { decodePayloadV3 } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodePayloadV3("2:4é1:6"), [{ type: "message", data: "é" }, { type: "noop" }]);
 * assert.throws(() => decodePayloadV3("9:4é"), SyntaxError);
 * ```
 */
export function decodePayloadV3(
  payload: string | ArrayBuffer | ArrayBufferView,
  binaryType: BinaryType = "uint8array",
): EnginePacket[] {
  if (typeof payload !== "string") return decodeBinaryPayload(toUint8Array(payload), binaryType);
  if (payload.length === 0) throw new SyntaxError("Cannot decode Engine.IO payload: empty body");
  const packets: EnginePacket[] = [];
  let i = 0;
  while (i < payload.length) {
    const colon = payload.indexOf(":", i);
    const digits = colon - i;
    if (colon === -1 || digits === 0 || digits > MAX_LENGTH_DIGITS) {
      throw new SyntaxError(`Cannot decode Engine.IO payload: bad length prefix at index ${i}`);
    }
    let length = 0;
    for (let j = i; j < colon; j++) {
      const d = payload.charCodeAt(j) - 48;
      if (d < 0 || d > 9) {
        throw new SyntaxError(`Cannot decode Engine.IO payload: bad length prefix at index ${i}`);
      }
      length = length * 10 + d;
    }
    const start = colon + 1;
    if (start + length > payload.length) {
      throw new SyntaxError(
        `Cannot decode Engine.IO payload: packet of length ${length} at index ${start} is truncated`,
      );
    }
    if (length > 0) packets.push(decodePacketV3(payload.slice(start, start + length), binaryType));
    i = start + length;
  }
  return packets;
}

function decodeBinaryPayload(bytes: Uint8Array, binaryType: BinaryType): EnginePacket[] {
  const packets: EnginePacket[] = [];
  let i = 0;
  while (i < bytes.length) {
    const marker = bytes[i]!;
    if (marker > 1) {
      throw new SyntaxError(`Cannot decode Engine.IO payload: bad marker ${marker} at byte ${i}`);
    }
    let length = 0;
    let j = i + 1;
    for (; j < bytes.length && bytes[j] !== 255; j++) {
      const d = bytes[j]!;
      if (d > 9 || j - i > MAX_LENGTH_DIGITS) {
        throw new SyntaxError(`Cannot decode Engine.IO payload: bad length at byte ${i}`);
      }
      length = length * 10 + d;
    }
    if (j === i + 1 || j >= bytes.length) {
      throw new SyntaxError(`Cannot decode Engine.IO payload: bad length at byte ${i}`);
    }
    const start = j + 1;
    if (start + length > bytes.length) {
      throw new SyntaxError(
        `Cannot decode Engine.IO payload: packet of length ${length} at byte ${start} is truncated`,
      );
    }
    const body = bytes.subarray(start, start + length);
    packets.push(decodePacketV3(marker === 0 ? textDecoder.decode(body) : body, binaryType));
    i = start + length;
  }
  return packets;
}
