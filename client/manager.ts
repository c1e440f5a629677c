/**
 * The Socket.IO client's connection manager: one engine connection shared by the sockets of
 * every namespace, and the reconnection loop.
 *
 * @module
 */

import { encodeFrames } from "../parser/custom_parser.ts";
import { type ParserBinary, parserBinary } from "../parser/parser_binary.ts";
import { Emitter } from "../parser/emitter.ts";
import { Decoder } from "../parser/socket_decoder.ts";
import { Encoder } from "../parser/socket_encoder.ts";
import type { Packet } from "../parser/socket_packet.ts";
import { on } from "./_on.ts";
import { Backoff } from "./backoff.ts";
import { EngineSocket } from "./engine/socket.ts";
import type { ManagerOptions, SocketOptions } from "./options.ts";
import type { PacketDecoder, PacketEncoder } from "../parser/custom_parser.ts";
import { Socket } from "./socket.ts";

/** The events of a manager. */
export interface ManagerEvents {
  /** The connection opened. */
  open: () => void;
  /** The connection failed or broke. */
  error: (error: Error) => void;
  /** The server pinged. */
  ping: () => void;
  /** A Socket.IO packet arrived. */
  packet: (packet: Packet) => void;
  /** The connection closed. */
  close: (reason: string, description?: unknown) => void;
  /** All reconnection attempts failed. */
  reconnect_failed: () => void;
  /** Reconnected after this many attempts. */
  reconnect: (attempt: number) => void;
  /** A reconnection attempt failed. */
  reconnect_error: (error: Error) => void;
  /** A reconnection attempt starts. */
  reconnect_attempt: (attempt: number) => void;
}

/**
 * The connection to one server, shared by sockets of several namespaces.
 *
 * @example Two namespaces over one connection
 * ```ts
 * import { Manager } from "@edgeio/edgeio/client";
 * import { Server } from "@edgeio/edgeio";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 * import assert from "node:assert/strict";
 *
 * const io = new Server({ upgradeWebSocket });
 * io.of("/admin").on("connection", (socket) => socket.emit("hello", socket.nsp.name));
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, io.fetch);
 * const manager = new Manager(`http://127.0.0.1:${server.addr.port}`);
 * const admin = manager.socket("/admin");
 * assert.equal(await new Promise((resolve) => admin.on("hello", resolve)), "/admin");
 * admin.disconnect();
 * await io.close();
 * await server.shutdown();
 * ```
 */
export class Manager extends Emitter<ManagerEvents> {
  /** The engine connection, once opened. */
  engine: EngineSocket | undefined;
  /** The options. */
  readonly opts: ManagerOptions;
  /** @internal */
  _readyState: "opening" | "open" | "closed" = "closed";
  /** @internal */
  _reconnecting = false;
  /** @internal */
  readonly _autoConnect: boolean;
  readonly #uri: string | undefined;
  readonly #nsps = new Map<string, Socket>();
  readonly #backoff: Backoff;
  readonly #encoder: PacketEncoder;
  readonly #decoder: PacketDecoder;
  // A custom parser reads binary in the form its encoder makes (a Node Buffer for
  // socket.io-msgpack-parser under Deno/Node), not the ArrayBuffer the engine hands over.
  readonly #binary: ParserBinary | undefined;
  #subs: (() => unknown)[] = [];
  #decoded: Packet[] = [];
  #skipReconnect = false;
  #reconnection: boolean;
  #attemptsMax: number;
  #timeout: number | false;

  /**
   * Makes a manager; it connects at once unless `autoConnect` is false.
   *
   * @param uri The server URL (its path is ignored: namespaces are chosen per socket).
   * @param opts Options.
   */
  constructor(uri?: string, opts: ManagerOptions = {}) {
    super();
    this.#uri = uri;
    this.opts = { ...opts, path: opts.path ?? "/socket.io" };
    this.#reconnection = opts.reconnection !== false;
    this.#attemptsMax = opts.reconnectionAttempts ?? Infinity;
    this.#backoff = new Backoff(
      opts.reconnectionDelay ?? 1000,
      opts.reconnectionDelayMax ?? 5000,
      opts.randomizationFactor ?? 0.5,
    );
    this.#timeout = opts.timeout ?? 20000;
    this.#encoder = opts.parser ? new opts.parser.Encoder() : new Encoder();
    this.#decoder = opts.parser ? new opts.parser.Decoder() : new Decoder();
    this.#binary = opts.parser && parserBinary(opts.parser);
    this.#decoder.on("decoded", (packet) => this.#decoded.push(packet));
    this._autoConnect = opts.autoConnect !== false;
    if (this._autoConnect) this.open();
  }

  /**
   * Reads or sets whether to reconnect.
   *
   * @param value The new setting; absent to read it.
   * @returns The setting, or this manager when setting it.
   */
  reconnection(): boolean;
  /**
   * Sets the reconnection setting.
   *
   * @param value The new setting.
   * @returns This manager.
   */
  reconnection(value: boolean): this;
  reconnection(value?: boolean): boolean | this {
    if (value === undefined) return this.#reconnection;
    this.#reconnection = value;
    if (!value) this.#skipReconnect = true;
    return this;
  }

  /**
   * Reads or sets the number of reconnection attempts.
   *
   * @param value The new setting; absent to read it.
   * @returns The setting, or this manager when setting it.
   */
  reconnectionAttempts(): number;
  /**
   * Sets the reconnectionAttempts setting.
   *
   * @param value The new setting.
   * @returns This manager.
   */
  reconnectionAttempts(value: number): this;
  reconnectionAttempts(value?: number): number | this {
    if (value === undefined) return this.#attemptsMax;
    this.#attemptsMax = value;
    return this;
  }

  /**
   * Reads or sets the first reconnection delay.
   *
   * @param value The new setting in milliseconds; absent to read it.
   * @returns The setting, or this manager when setting it.
   */
  reconnectionDelay(): number;
  /**
   * Sets the reconnectionDelay setting.
   *
   * @param value The new setting.
   * @returns This manager.
   */
  reconnectionDelay(value: number): this;
  reconnectionDelay(value?: number): number | this {
    if (value === undefined) return this.#backoff.min;
    this.#backoff.min = value;
    return this;
  }

  /**
   * Reads or sets the largest reconnection delay.
   *
   * @param value The new setting in milliseconds; absent to read it.
   * @returns The setting, or this manager when setting it.
   */
  reconnectionDelayMax(): number;
  /**
   * Sets the reconnectionDelayMax setting.
   *
   * @param value The new setting.
   * @returns This manager.
   */
  reconnectionDelayMax(value: number): this;
  reconnectionDelayMax(value?: number): number | this {
    if (value === undefined) return this.#backoff.max;
    this.#backoff.max = value;
    return this;
  }

  /**
   * Reads or sets the jitter of the reconnection delay.
   *
   * @param value The new setting from 0 to 1; absent to read it.
   * @returns The setting, or this manager when setting it.
   */
  randomizationFactor(): number;
  /**
   * Sets the randomizationFactor setting.
   *
   * @param value The new setting.
   * @returns This manager.
   */
  randomizationFactor(value: number): this;
  randomizationFactor(value?: number): number | this {
    if (value === undefined) return this.#backoff.jitter;
    this.#backoff.jitter = value;
    return this;
  }

  /**
   * Reads or sets the connection timeout.
   *
   * @param value The new setting in milliseconds, or `false`; absent to read it.
   * @returns The setting, or this manager when setting it.
   */
  timeout(): number | false;
  /**
   * Sets the timeout setting.
   *
   * @param value The new setting.
   * @returns This manager.
   */
  timeout(value: number | false): this;
  timeout(value?: number | false): number | false | this {
    if (value === undefined) return this.#timeout;
    this.#timeout = value;
    return this;
  }

  /**
   * Opens the connection (sockets do this for you).
   *
   * @param callback Called once open, or with the error.
   * @returns This manager.
   */
  open(callback?: (error?: Error) => void): this {
    if (this._readyState !== "closed") return this;
    const engine = this.engine = new EngineSocket(this.#uri, this.opts);
    this._readyState = "opening";
    this.#skipReconnect = false;
    const onError = (error: Error) => {
      this.#cleanup();
      this._readyState = "closed";
      this.emit("error", error);
      if (callback) callback(error);
      else if (!this._reconnecting && this.#reconnection && this.#backoff.attempts === 0) {
        this.#reconnect();
      }
    };
    const offOpen = on(engine, "open", () => {
      this.#onOpen(engine);
      callback?.();
    });
    this.#subs.push(offOpen, on(engine, "error", onError));
    const timeout = this.#timeout;
    if (timeout !== false) {
      const timer = setTimeout(() => {
        offOpen();
        onError(new Error("timeout"));
        engine.close();
      }, timeout);
      this.#subs.push(() => clearTimeout(timer));
    }
    return this;
  }

  /** Alias of {@linkcode Manager.open}. */
  connect(callback?: (error?: Error) => void): this {
    return this.open(callback);
  }

  /**
   * The socket of a namespace, made on first use.
   *
   * @param nsp The namespace, e.g. "/admin".
   * @param opts Socket options.
   * @returns The socket.
   */
  socket(nsp: string, opts?: SocketOptions): Socket {
    let socket = this.#nsps.get(nsp);
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.#nsps.set(nsp, socket);
    } else if (this._autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /** @internal Whether a socket for this namespace exists. */
  _has(nsp: string): boolean {
    return this.#nsps.has(nsp);
  }

  /** @internal A socket went inactive; the connection closes once all are. */
  _destroy(): void {
    for (const socket of this.#nsps.values()) if (socket.active) return;
    this._close();
  }

  /** @internal Writes a packet. */
  _packet(packet: Packet & { options?: { compress?: boolean } }): void {
    for (const frame of encodeFrames(this.#encoder, packet)) {
      this.engine?.write(frame as string, packet.options);
    }
  }

  /** @internal Closes the connection without reconnecting. */
  _close(): void {
    this.#skipReconnect = true;
    this._reconnecting = false;
    this.#onClose("forced close");
  }

  #onOpen(engine: EngineSocket): void {
    this.#cleanup();
    this._readyState = "open";
    this.emit("open");
    this.#subs.push(
      on(engine, "ping", () => this.emit("ping")),
      on(engine, "data", (data) => this.#onData(data)),
      on(engine, "error", (error) => this.emit("error", error)),
      on(engine, "close", (reason, description) => this.#onClose(reason, description)),
    );
  }

  // Decoding errors close the connection; a listener's own error is rethrown on its own,
  // so it neither passes for bad input nor stops the packets after it.
  #onData(data: string | ArrayBuffer): void {
    try {
      const binary = this.#binary;
      this.#decoder.add(
        binary && typeof data !== "string" ? binary(new Uint8Array(data)) as never : data,
      );
    } catch (error) {
      this.#decoded = [];
      return this.#onClose("parse error", error);
    }
    const packets = this.#decoded;
    this.#decoded = [];
    for (const packet of packets) {
      try {
        this.emit("packet", packet);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #cleanup(): void {
    for (const off of this.#subs) off();
    this.#subs = [];
    this.#decoder.destroy();
  }

  #onClose(reason: string, description?: unknown): void {
    this.#cleanup();
    this.engine?.close();
    this.#backoff.reset();
    this._readyState = "closed";
    this.emit("close", reason, description);
    if (this.#reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    const backoff = this.#backoff;
    if (backoff.attempts >= this.#attemptsMax) {
      backoff.reset();
      this._reconnecting = false;
      this.emit("reconnect_failed");
      return;
    }
    this._reconnecting = true;
    const timer = setTimeout(() => {
      if (this.#skipReconnect) return;
      this.emit("reconnect_attempt", backoff.attempts);
      if (this.#skipReconnect) return;
      this.open((error) => {
        if (error) {
          this._reconnecting = false;
          this.#reconnect();
          this.emit("reconnect_error", error);
        } else {
          const attempts = backoff.attempts;
          this._reconnecting = false;
          backoff.reset();
          this.emit("reconnect", attempts);
        }
      });
    }, backoff.duration());
    this.#subs.push(() => clearTimeout(timer));
  }
}
