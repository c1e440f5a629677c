/**
 * The Socket.IO packet decoder: text frames and their binary attachments in, packets out.
 *
 * @module
 */

import { reconstructPacket } from "./attachments.ts";
import type { BinaryData } from "./binary.ts";
import { isPayloadValid, type Packet, PacketType, type ProtocolVersion } from "./socket_packet.ts";

/** A `JSON.parse` reviver. */
export type Reviver = (this: unknown, key: string, value: unknown) => unknown;

/** Options of {@linkcode Decoder}. */
export interface DecoderOptions {
  /**
   * A `JSON.parse` reviver for packet data.
   * @default {undefined}
   */
  reviver?: Reviver;
  /**
   * The most binary attachments one packet may announce.
   * @default {10}
   */
  maxAttachments?: number;
  /**
   * The protocol revision of the peer: `5`, or `4` for Socket.IO v2 clients.
   * @default {5}
   */
  protocol?: ProtocolVersion;
}

/** Called with each packet the decoder completes. */
export type DecodedListener = (packet: Packet) => void;

const MAX_ATTACHMENT_DIGITS = 6;

/**
 * Decodes Socket.IO packets, with the interface socket.io uses for custom parsers:
 * `add(frame)` for every frame received, a `"decoded"` event per complete packet, and
 * `destroy()`. `add()` also returns the packet it completes, for callers that prefer values.
 *
 * Invalid input throws a `SyntaxError`: an unknown type, a bad attachment count, more
 * attachments than `maxAttachments`, invalid JSON, a payload that does not suit the type
 * (reserved event names included), an ack id that is not a safe integer, bad placeholders, and
 * frames out of order. After an error the decoder is ready for a new packet.
 *
 * @example A text packet, then a binary one in two frames
 * ```ts
 * import { Decoder, type Packet } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * const decoder = new Decoder();
 * const seen: Packet[] = [];
 * decoder.on("decoded", (packet) => seen.push(packet));
 *
 * assert.deepEqual(decoder.add('2["hello",1]'), { type: 2, nsp: "/", data: ["hello", 1] });
 * assert.equal(decoder.add('51-["file",{"_placeholder":true,"num":0}]'), undefined);
 * const file = decoder.add(new Uint8Array([1, 2]));
 * assert.deepEqual(file, { type: 2, nsp: "/", data: ["file", new Uint8Array([1, 2])] });
 * assert.equal(seen.length, 2);
 * assert.throws(() => decoder.add('2["disconnect"]'), SyntaxError);
 * ```
 */
export class Decoder {
  #reviver: Reviver | undefined;
  #maxAttachments: number;
  #version: ProtocolVersion;
  #listeners: DecodedListener[] = [];
  #pending: Packet | undefined;
  #buffers: unknown[] = [];

  /**
   * Makes a decoder.
   *
   * @param options Options, or a `JSON.parse` reviver as socket.io's own decoder accepts.
   * @throws {RangeError} When `maxAttachments` is not a non-negative integer.
   */
  constructor(options?: DecoderOptions | Reviver) {
    const opts: DecoderOptions = typeof options === "function"
      ? { reviver: options }
      : options ?? {};
    this.#reviver = opts.reviver;
    this.#maxAttachments = opts.maxAttachments ?? 10;
    this.#version = opts.protocol ?? 5;
    if (!Number.isInteger(this.#maxAttachments) || this.#maxAttachments < 0) {
      throw new RangeError(
        `Cannot create Decoder: maxAttachments must be a non-negative integer, got ${this.#maxAttachments}`,
      );
    }
  }

  /**
   * Feeds one frame.
   *
   * @param frame A text frame, or a binary attachment of the packet being reassembled.
   * @returns The packet this frame completes, or `undefined` while attachments are awaited.
   * @throws {SyntaxError} On invalid input, as described on the class.
   */
  add(frame: string | BinaryData): Packet | undefined {
    let packet: Packet | undefined;
    if (typeof frame === "string") {
      if (this.#pending) {
        this.destroy();
        throw new SyntaxError(
          "Cannot decode packet: text frame received while awaiting attachments",
        );
      }
      packet = this.#decodeText(frame);
      if (packet.attachments !== undefined) {
        this.#pending = packet;
        return undefined;
      }
    } else {
      const pending = this.#pending;
      if (!pending) {
        throw new SyntaxError(
          "Cannot decode packet: binary frame received with no packet awaiting it",
        );
      }
      this.#buffers.push(frame);
      if (this.#buffers.length < pending.attachments!) return undefined;
      const buffers = this.#buffers;
      this.destroy();
      packet = {
        type: pending.type === PacketType.BINARY_EVENT ? PacketType.EVENT : PacketType.ACK,
        nsp: pending.nsp,
        data: reconstructPacket(pending.data, buffers),
      };
      if (pending.id !== undefined) packet.id = pending.id;
    }
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(packet);
    return packet;
  }

  /**
   * Listens for complete packets.
   *
   * @param event Always `"decoded"`.
   * @param listener Called with each complete packet.
   * @returns This decoder.
   */
  on(event: "decoded", listener: DecodedListener): this {
    if (event === "decoded") this.#listeners = [...this.#listeners, listener];
    return this;
  }

  /**
   * Stops listening; with no listener, removes them all.
   *
   * @param event Always `"decoded"`.
   * @param listener The listener to remove.
   * @returns This decoder.
   */
  off(event?: "decoded", listener?: DecodedListener): this {
    if (event === undefined || listener === undefined) this.#listeners = [];
    else this.#listeners = this.#listeners.filter((l) => l !== listener);
    return this;
  }

  /** Drops a packet half reassembled, so its buffers can be collected. */
  destroy(): void {
    this.#pending = undefined;
    this.#buffers = [];
  }

  #decodeText(text: string): Packet {
    const type = text.charCodeAt(0) - 48;
    if (!(type >= 0 && type <= 6)) {
      throw new SyntaxError(
        `Cannot decode packet: unknown type ${JSON.stringify(text.slice(0, 1))}`,
      );
    }
    const packet: Packet = { type: type as PacketType, nsp: "/" };
    const length = text.length;
    let i = 1;
    if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
      const dash = text.indexOf("-", i);
      const digits = dash - i;
      if (
        dash === -1 || digits === 0 || digits > MAX_ATTACHMENT_DIGITS || !isDigits(text, i, dash)
      ) {
        throw new SyntaxError("Cannot decode packet: illegal attachment count");
      }
      const count = Number(text.slice(i, dash));
      if (count < 1) throw new SyntaxError("Cannot decode packet: illegal attachment count 0");
      if (count > this.#maxAttachments) {
        throw new SyntaxError(
          `Cannot decode packet: ${count} attachments exceed the limit of ${this.#maxAttachments}`,
        );
      }
      packet.attachments = count;
      i = dash + 1;
    }
    if (text.charCodeAt(i) === 47 /* / */) {
      const comma = text.indexOf(",", i);
      const end = comma === -1 ? length : comma;
      packet.nsp = text.slice(i, end);
      i = comma === -1 ? length : comma + 1;
    }
    let idEnd = i;
    while (idEnd < length && isDigit(text.charCodeAt(idEnd))) idEnd++;
    if (idEnd > i) {
      const id = Number(text.slice(i, idEnd));
      if (!Number.isSafeInteger(id)) {
        throw new SyntaxError("Cannot decode packet: ack id out of range");
      }
      packet.id = id;
      i = idEnd;
    }
    if (i < length) {
      let data: unknown;
      try {
        data = JSON.parse(i === 0 ? text : text.slice(i), this.#reviver);
      } catch {
        throw new SyntaxError(`Cannot decode packet: invalid JSON payload at index ${i}`);
      }
      if (!isPayloadValid(packet.type, data, this.#version)) {
        throw new SyntaxError(`Cannot decode packet: invalid payload for packet type ${type}`);
      }
      packet.data = data;
    }
    return packet;
  }
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}
