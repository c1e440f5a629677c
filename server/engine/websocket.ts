/**
 * The WebSocket transport: one Engine.IO packet per frame over the runtime's WebSocket.
 *
 * @module
 */

import { decodePacket, decodePacketV3, encodePacket, encodePacketV3 } from "../../parser/mod.ts";
import { type OutPacket, Transport } from "./_transport.ts";
import type { WebSocketLike } from "./websocket_like.ts";

const OPEN = 1;
const encoder = new TextEncoder();

/** Engine.IO over a WebSocket. Made by the engine when a socket opens. */
export class WebSocketTransport extends Transport {
  readonly name = "websocket" as const;
  readonly #socket: WebSocketLike;
  readonly #maxPayload: number;

  /**
   * Wraps an open socket.
   *
   * @param socket The runtime's socket, adapted.
   * @param protocol The Engine.IO revision of the client.
   * @param maxPayload The largest frame accepted, in bytes.
   */
  constructor(socket: WebSocketLike, protocol: 3 | 4, maxPayload: number) {
    super(protocol);
    this.#socket = socket;
    this.#maxPayload = maxPayload;
    this.writable = true;
  }

  /** Feeds a frame from the runtime. */
  onMessage(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== "open") return;
    if (this.#tooLarge(data)) {
      // Report first, with the close code of `ws`: the socket's own close event comes after.
      const handler = this.handler;
      this.detach();
      this.#socket.close(1009, "Max payload size exceeded");
      handler.onError("payload too large");
      return;
    }
    let packet;
    try {
      packet = this.protocol === 4 ? decodePacket(data) : decodePacketV3(data);
    } catch {
      this.handler.onParseError();
      return;
    }
    if (packet.type === "close") {
      // The client says goodbye: end the socket now rather than at the next ping timeout.
      this.#socket.close();
      this.onClose();
      return;
    }
    this.handler.onPacket(packet);
  }

  /** The runtime saw the socket close. */
  onSocketClose(): void {
    this.onClose();
  }

  /** The runtime saw the socket fail. */
  onSocketError(): void {
    if (this.readyState === "open") this.handler.onError("websocket error");
  }

  send(packets: OutPacket[]): void {
    const socket = this.#socket;
    try {
      for (const packet of packets) {
        if (socket.readyState !== OPEN) return;
        socket.send(
          this.protocol === 4
            ? encodePacket(packet) as string | ArrayBuffer | ArrayBufferView
            : encodePacketV3(packet),
        );
      }
    } catch {
      this.handler.onError("write error");
      return;
    }
    this.handler.onDrain();
  }

  protected doClose(done: () => void): void {
    this.#socket.close();
    done();
  }

  #tooLarge(data: string | ArrayBuffer | ArrayBufferView): boolean {
    return frameTooLarge(data, this.#maxPayload);
  }
}

/** Whether a frame exceeds `max` bytes (text counted as UTF-8), as the transport refuses it. */
export function frameTooLarge(data: string | ArrayBuffer | ArrayBufferView, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count bytes only when the length leaves it open.
  if (data.length > max) return true;
  if (data.length * 3 <= max) return false;
  return encoder.encode(data).length > max;
}
