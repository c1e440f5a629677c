/**
 * The WebSocket transport over the global `WebSocket` (browsers, Deno, Workers, Bun, Node 22+).
 *
 * @module
 */

import { decodePacket, encodePacket, type EnginePacket } from "../../parser/engine_packet.ts";
import { Transport } from "./transport.ts";

// Deno and Bun take an options bag with headers as the second argument.
type HeadersCapableWebSocket = new (
  url: string,
  options: { protocols?: string | string[] | undefined; headers: Record<string, string> },
) => WebSocket;

/** The websocket transport. */
export class WebSocketTransport extends Transport {
  /** Always `"websocket"`. */
  readonly name = "websocket";
  #ws: WebSocket | undefined;

  /** Opens the WebSocket. */
  start(): void {
    const { protocols, extraHeaders } = this.ctx;
    const url = this.ctx.url(this.name);
    let ws: WebSocket;
    try {
      ws = this.#construct(url, protocols, extraHeaders);
    } catch (error) {
      // Reported a tick later: the owner may still be in its constructor, not yet listening.
      queueMicrotask(() => this.fail("websocket error", error));
      return;
    }
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.opened();
    ws.onclose = (event) =>
      this.closed({ description: "websocket connection closed", context: event });
    ws.onerror = (event) => this.done || this.fail("websocket error", event);
    ws.onmessage = (event) => {
      let packet: EnginePacket;
      try {
        packet = decodePacket(event.data, "arraybuffer");
      } catch (error) {
        return this.fail("parse error", error);
      }
      this.emit("packet", packet);
    };
  }

  // Headers go in an options bag, which Deno and Bun accept; elsewhere (workerd, browser
  // workers) the bag is refused as a bad subprotocol, and the plain constructor is used.
  #construct(
    url: string,
    protocols: string | string[] | undefined,
    headers: Record<string, string> | undefined,
  ): WebSocket {
    if (headers && !("document" in globalThis)) {
      try {
        return new (WebSocket as unknown as HeadersCapableWebSocket)(url, { protocols, headers });
      } catch {
        // fall through to the standard constructor
      }
    }
    return new WebSocket(url, protocols);
  }

  /**
   * Sends one frame per packet; raises `drain` once the batch is handed to the socket.
   *
   * @param packets The packets.
   */
  send(packets: EnginePacket[]): void {
    this.writable = false;
    try {
      for (const packet of packets) this.#ws!.send(encodePacket(packet) as string);
    } catch (error) {
      return this.fail("websocket error", error);
    }
    queueMicrotask(() => {
      if (this.done) return;
      this.writable = true;
      this.emit("drain");
    });
  }

  /** Closes the WebSocket. */
  close(): void {
    this.#ws?.close();
    this.closed();
  }
}
