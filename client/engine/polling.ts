/**
 * HTTP long-polling over `fetch`, so it runs wherever `fetch` does: browsers, Deno, Workers,
 * service workers, Bun and Node. One GET and one POST at most are in flight at a time.
 *
 * @module
 */

import { decodePayload, encodePayload, type EnginePacket } from "../../parser/engine_packet.ts";
import { Transport, TransportError } from "./transport.ts";

/** The polling transport. */
export class Polling extends Transport {
  /** Always `"polling"`. */
  readonly name = "polling";
  #abort = new AbortController();
  #getting = false;
  #posting = false;
  #onIdle: (() => void) | undefined;

  /** Sends the first GET, which the server answers with the handshake. */
  start(): void {
    this.#poll();
  }

  /**
   * POSTs packets as one payload.
   *
   * @param packets The packets.
   */
  send(packets: EnginePacket[]): void {
    this.writable = false;
    this.#posting = true;
    // A Blob (a File from an <input>, say) is read first: a payload carries binary as base64.
    Promise.all(
      packets.map(async (packet) =>
        packet.data instanceof Blob
          ? { type: packet.type, data: await packet.data.arrayBuffer() }
          : packet
      ),
    ).then((ready) => this.#request("POST", encodePayload(ready))).then(() => {
      this.#posting = false;
      this.writable = true;
      this.emit("drain");
      this.#idle();
    }, (error) => this.#fail("xhr post error", error));
  }

  /**
   * Waits for the GET and POST in flight, then stops polling.
   *
   * @param done Called once nothing is in flight.
   */
  override pause(done: () => void): void {
    this.writable = false;
    this.#onIdle = done;
    this.#idle();
  }

  /** Sends a close packet, then drops the parked GET. */
  close(): void {
    const abort = () => this.#abort.abort();
    if (this.open && !this.done) this.#request("POST", "1", true).then(abort, abort);
    else abort();
    this.closed();
  }

  #poll(): void {
    this.#getting = true;
    this.#request("GET").then(
      (text) => this.#onPayload(text),
      (error) => this.#fail("xhr poll error", error),
    );
  }

  #onPayload(text: string): void {
    this.#getting = false;
    let packets: EnginePacket[];
    try {
      packets = decodePayload(text, "arraybuffer");
    } catch (error) {
      return this.#fail("parse error", error);
    }
    for (const packet of packets) {
      if (this.done) return;
      if (!this.open && packet.type === "open") this.opened();
      if (packet.type === "close") {
        return this.closed({ description: "transport closed by the server" });
      }
      this.emit("packet", packet);
    }
    if (this.#onIdle) this.#idle();
    else if (this.open && !this.done) this.#poll();
  }

  #idle(): void {
    const done = this.#onIdle;
    if (done && !this.#getting && !this.#posting) {
      this.#onIdle = undefined;
      done();
    }
  }

  #fail(message: string, error: unknown): void {
    if (this.done) return;
    if (error instanceof TransportError) this.fail(message, error.description, error.context);
    else this.fail(message, error);
  }

  async #request(method: string, body?: string, unsignalled?: boolean): Promise<string> {
    const headers: Record<string, string> = { ...this.ctx.extraHeaders };
    if (body !== undefined) headers["content-type"] = "text/plain;charset=UTF-8";
    const init: RequestInit = {
      method,
      headers,
      credentials: this.ctx.withCredentials ? "include" : "same-origin",
    };
    if (body !== undefined) init.body = body;
    if (!unsignalled) init.signal = this.#abort.signal;
    const response = await fetch(this.ctx.url(this.name), init);
    const text = await response.text();
    if (!response.ok) throw new TransportError(text, response.status, response);
    return text;
  }
}
