/**
 * The Socket.IO packet encoder: a packet becomes one text frame, followed by one frame per
 * binary attachment when its data holds binary values.
 *
 * @module
 */

import { deconstructPacket } from "./attachments.ts";
import { type BinaryData, hasBinary } from "./binary.ts";
import { type Packet, PacketType } from "./socket_packet.ts";

/** A `JSON.stringify` replacer. */
export type Replacer = (this: unknown, key: string, value: unknown) => unknown;

const TYPE_TEXT = ["0", "1", "2", "3", "4", "5", "6"] as const;

/**
 * Encodes Socket.IO packets, with the interface socket.io uses for custom parsers
 * (`new Encoder()`, `encode(packet)` → frames). The wire form is the same for protocol v5
 * and v4: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON data>]`.
 *
 * @example An event, an ack, and an event with a binary attachment
 * ```ts
 * import { Encoder, PacketType } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * const encoder = new Encoder();
 * assert.deepEqual(encoder.encode({ type: PacketType.EVENT, nsp: "/", data: ["hello", 1] }), [
 *   '2["hello",1]',
 * ]);
 * assert.deepEqual(encoder.encode({ type: PacketType.ACK, nsp: "/admin", id: 13, data: ["b"] }), [
 *   '3/admin,13["b"]',
 * ]);
 * const bytes = new Uint8Array([1, 2]);
 * assert.deepEqual(encoder.encode({ type: PacketType.EVENT, nsp: "/", data: ["file", bytes] }), [
 *   '51-["file",{"_placeholder":true,"num":0}]',
 *   bytes,
 * ]);
 * ```
 */
export class Encoder {
  #replacer: Replacer | undefined;

  /**
   * Makes an encoder.
   *
   * @param replacer An optional `JSON.stringify` replacer for packet data.
   */
  constructor(replacer?: Replacer) {
    this.#replacer = replacer;
  }

  /**
   * Encodes one packet. EVENT and ACK packets whose data holds binary values are sent as
   * BINARY_EVENT and BINARY_ACK with their attachments.
   *
   * @param packet The packet.
   * @returns The frames: the text first, then the attachments in order.
   * @throws {TypeError} When the data is cyclic or cannot be serialized.
   */
  encode(packet: Packet): Array<string | BinaryData> {
    const { type } = packet;
    if ((type === PacketType.EVENT || type === PacketType.ACK) && hasBinary(packet.data)) {
      const { data, buffers } = deconstructPacket(packet.data);
      const binaryType = type === PacketType.EVENT
        ? PacketType.BINARY_EVENT
        : PacketType.BINARY_ACK;
      const frames: Array<string | BinaryData> = [
        this.#text(binaryType, buffers.length + "-", packet.nsp, packet.id, data),
      ];
      for (const buffer of buffers) frames.push(buffer);
      return frames;
    }
    return [this.#text(type, "", packet.nsp, packet.id, packet.data)];
  }

  #text(
    type: PacketType,
    head: string,
    nsp: string,
    id: number | undefined,
    data: unknown,
  ): string {
    let text = TYPE_TEXT[type] + head;
    if (nsp && nsp !== "/") text += nsp + ",";
    if (id !== undefined && id !== null) text += id;
    if (data !== undefined && data !== null) text += JSON.stringify(data, this.#replacer);
    return text;
  }
}
