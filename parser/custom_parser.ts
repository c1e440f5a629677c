/**
 * The shape of a Socket.IO parser, as socket.io accepts one in its `parser` option: an
 * `Encoder` class and a `Decoder` class that emits `"decoded"`. edgeio's own parser and
 * parsers from npm such as `socket.io-msgpack-parser` both fit it.
 *
 * @module
 */

import type { BinaryData } from "./binary.ts";
import type { Packet } from "./socket_packet.ts";

/** An encoder: one packet in, its frames out (text or binary, in order). */
export interface PacketEncoder {
  /** Encodes one packet into the frames that carry it. */
  encode(packet: Packet): unknown[];
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
 * A Socket.IO parser: the value of socket.io's `parser` option.
 *
 * @example Plug in edgeio's own parser
 * ```ts
 * import * as parser from "@edgeio/edgeio/parser";
 * import type { SocketParser } from "@edgeio/edgeio/parser";
 *
 * const chosen: SocketParser = parser;
 * const decoder = new chosen.Decoder();
 * decoder.on("decoded", (packet) => console.log(packet.data));
 * for (const frame of new chosen.Encoder().encode({ type: 2, nsp: "/", data: ["hi"] })) {
 *   decoder.add(frame as string);
 * }
 * ```
 */
export interface SocketParser {
  /** Makes encoders. */
  Encoder: new () => PacketEncoder;
  /** Makes decoders. */
  Decoder: new () => PacketDecoder;
}
