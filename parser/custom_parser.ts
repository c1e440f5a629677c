/**
 * The shape of a Socket.IO parser, as socket.io accepts one in its `parser` option: an
 * `Encoder` class and a `Decoder` class that emits `"decoded"`. edgeio's own parser and
 * parsers from npm such as `socket.io-msgpack-parser` both fit it.
 *
 * @module
 */

import type { BinaryData } from "./binary.ts";
import type { Packet } from "./socket_packet.ts";

/**
 * An encoder: one packet in, its frames out (text or binary, in order). Typed loosely on
 * purpose: published parsers declare other return types than they return (the typings of
 * `socket.io-msgpack-parser` 3 say `ArrayBuffer`, its code returns an array); read the result
 * with {@linkcode encodeFrames}.
 */
export interface PacketEncoder {
  /** Encodes one packet into the frames that carry it. */
  encode(packet: Packet): unknown;
}

/** A decoder: frames in through `add()`, packets out through the `"decoded"` event. */
export interface PacketDecoder {
  /** Feeds one frame; throws on invalid input. */
  add(frame: string | BinaryData): unknown;
  /** Listens for complete packets. */
  on(event: "decoded", listener: (packet: Packet) => void): unknown;
  /** Releases what a half-decoded packet holds. */
  destroy(): void;
}

/**
 * Encodes a packet with any parser's encoder and gives the frames as an array, whether the
 * encoder returned an array of frames or a single frame.
 *
 * @param encoder An encoder made by a {@linkcode SocketParser}.
 * @param packet The packet.
 * @returns The frames, in order.
 *
 * @example
 * ```ts
 * import { Encoder, encodeFrames } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeFrames(new Encoder(), { type: 2, nsp: "/", data: ["hi"] }), ['2["hi"]']);
 * ```
 */
export function encodeFrames(encoder: PacketEncoder, packet: Packet): unknown[] {
  const out = encoder.encode(packet);
  return Array.isArray(out) ? out : [out];
}

/**
 * A Socket.IO parser: the value of socket.io's `parser` option.
 *
 * @example Plug in edgeio's own parser
 * ```ts
 * import * as parser from "@edgeio/edgeio/parser";
 * import { encodeFrames, type SocketParser } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * const chosen: SocketParser = parser;
 * const decoder = new chosen.Decoder();
 * const received: unknown[] = [];
 * decoder.on("decoded", (packet) => received.push(packet.data));
 * for (const frame of encodeFrames(new chosen.Encoder(), { type: 2, nsp: "/", data: ["hi"] })) {
 *   decoder.add(frame as string);
 * }
 * assert.deepEqual(received, [["hi"]]);
 * ```
 */
export interface SocketParser {
  /** Makes encoders. */
  Encoder: new () => PacketEncoder;
  /** Makes decoders. */
  Decoder: new () => PacketDecoder;
}
