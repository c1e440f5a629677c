/**
 * Binary frames in the form a parser expects. A parser written for Node decodes Node `Buffer`s
 * (socket.io-msgpack-parser through notepack.io calls `buffer.toString("utf8", …)`), one written
 * for browsers decodes `ArrayBuffer`s, edgeio's own takes any bytes. Neither the server nor the
 * client can name `Buffer` (the core knows no runtime), so they ask the parser itself: whatever
 * its encoder produces for binary is what its decoder reads back.
 *
 * @module
 */

import { toBinaryType } from "./binary.ts";
import { encodeFrames, type SocketParser } from "./custom_parser.ts";
import { Decoder } from "./socket_decoder.ts";
import { PacketType } from "./socket_packet.ts";

/** Turns received bytes into the binary form a parser's decoder reads. */
export type ParserBinary = (bytes: Uint8Array) => unknown;

interface FromArrayBuffer {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): unknown;
}

/**
 * Finds how to hand binary frames to a parser's decoder, from one probe encoding.
 *
 * @param parser The parser.
 * @returns The conversion (the bytes themselves for edgeio's parser and for parsers whose encoder
 * emits plain `Uint8Array`s or text).
 *
 * @example
 * ```ts
 * import * as parser from "@edgeio/edgeio/parser";
 * import { parserBinary } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([1, 2]);
 * assert.equal(parserBinary(parser)(bytes), bytes);
 * ```
 */
export function parserBinary(parser: SocketParser): ParserBinary {
  if (parser.Decoder === Decoder) return (bytes) => bytes;
  let sample: unknown;
  try {
    const frames = encodeFrames(new parser.Encoder(), {
      type: PacketType.EVENT,
      nsp: "/",
      data: ["probe", new Uint8Array(1)],
    });
    sample = frames.find((frame) => typeof frame !== "string");
  } catch {
    return (bytes) => bytes;
  }
  if (sample instanceof ArrayBuffer) return (bytes) => toBinaryType(bytes, "arraybuffer");
  const ctor = ArrayBuffer.isView(sample) ? sample.constructor : undefined;
  if (
    ctor && ctor !== Uint8Array && typeof (ctor as Partial<FromArrayBuffer>).from === "function"
  ) {
    // A Uint8Array subclass such as Node's Buffer: a view over the same memory, no copy.
    const from = ctor as unknown as FromArrayBuffer;
    return (bytes) => from.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return (bytes) => bytes;
}
