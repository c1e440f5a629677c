/**
 * What the engine client's transports share: the events they raise and the URL they talk to.
 *
 * @module
 */

import { Emitter } from "../../parser/emitter.ts";
import type { EnginePacket } from "../../parser/engine_packet.ts";

/** A transport error, as engine.io-client reports it: a message, a type and the cause. */
export class TransportError extends Error {
  /** Always `"TransportError"`. */
  readonly type = "TransportError";
  /** What caused it: a status code, an event or an error. */
  readonly description: unknown;
  /** The transport's context, e.g. the HTTP response. */
  readonly context: unknown;

  /**
   * Makes a transport error.
   *
   * @param message What failed, e.g. "xhr poll error".
   * @param description The cause.
   * @param context The transport's context.
   */
  constructor(message: string, description?: unknown, context?: unknown) {
    super(message);
    this.description = description;
    this.context = context;
  }
}

/** The events a transport raises towards its engine socket. */
export interface TransportEvents {
  /** The transport can carry packets. */
  open: () => void;
  /** A packet arrived. */
  packet: (packet: EnginePacket) => void;
  /** The packets given to `send()` are written. */
  drain: () => void;
  /** The transport failed. */
  error: (error: TransportError) => void;
  /** The transport closed. */
  close: (details?: { description: string; context?: unknown }) => void;
}

/** What a transport needs from its owner: where to connect and with which settings. */
export interface TransportContext {
  /** The URL for this transport, with the query (sid, EIO, transport, cache buster). */
  url(name: string): string;
  /** Headers to send where the runtime allows it. */
  readonly extraHeaders?: Record<string, string> | undefined;
  /** Whether cross-origin polling requests carry cookies. */
  readonly withCredentials?: boolean | undefined;
  /** WebSocket subprotocols. */
  readonly protocols?: string | string[] | undefined;
}

/** The engine client's transport: polling or websocket. */
export abstract class Transport extends Emitter<TransportEvents> {
  /** The transport name as sent in the `transport` query parameter. */
  abstract readonly name: "polling" | "websocket";
  /** Whether `send()` may be called now. */
  writable = false;
  /** Whether the transport is open. */
  protected open = false;
  #closed = false;

  /**
   * Makes a transport; nothing starts until `start()`.
   *
   * @param ctx Where and how to connect.
   */
  constructor(protected readonly ctx: TransportContext) {
    super();
  }

  /** Starts connecting. */
  abstract start(): void;
  /** Writes packets; raises `drain` when done. */
  abstract send(packets: EnginePacket[]): void;
  /** Closes the transport. */
  abstract close(): void;

  /**
   * Stops reading so another transport can take over.
   *
   * @param done Called once nothing is in flight.
   */
  pause(done: () => void): void {
    done();
  }

  /** Marks the transport open and writable. */
  protected opened(): void {
    this.open = this.writable = true;
    this.emit("open");
  }

  /**
   * Reports a failure.
   *
   * @param message What failed.
   * @param description The cause.
   * @param context The transport's context.
   */
  protected fail(message: string, description?: unknown, context?: unknown): void {
    this.emit("error", new TransportError(message, description, context));
  }

  /**
   * Reports the close once.
   *
   * @param details Why it closed.
   */
  protected closed(details?: { description: string; context?: unknown }): void {
    if (this.#closed) return;
    this.#closed = true;
    this.open = this.writable = false;
    this.emit("close", details);
  }

  /** Whether the transport has closed. */
  protected get done(): boolean {
    return this.#closed;
  }
}
