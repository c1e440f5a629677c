/**
 * The Engine.IO v4 client socket: handshake, the transport it runs on, the upgrade from polling
 * to websocket, answering the server's pings and noticing a dead server, and a write buffer that
 * respects the server's `maxPayload`.
 *
 * @module
 */

import type { BinaryData } from "../../parser/binary.ts";
import { Emitter } from "../../parser/emitter.ts";
import type { EnginePacket, EnginePacketType } from "../../parser/engine_packet.ts";
import type { EngineSocketOptions, TransportName } from "./options.ts";
import { Polling } from "./polling.ts";
import { type Transport, TransportError } from "./transport.ts";
import { WebSocketTransport } from "./websocket.ts";

/** The handshake the server sends in its open packet. */
export interface Handshake {
  /** The session id. */
  sid: string;
  /** The transports the session may upgrade to. */
  upgrades: string[];
  /** How often the server pings, in milliseconds. */
  pingInterval: number;
  /** How long the server waits for a pong, in milliseconds. */
  pingTimeout: number;
  /** The largest payload the server accepts, in bytes. */
  maxPayload: number;
}

/** The reasons an engine socket closes. */
export type EngineCloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "forced close"
  | "parse error";

/** The events of an engine socket. */
export interface EngineSocketEvents {
  /** The handshake succeeded. */
  open: () => void;
  /** The handshake data arrived. */
  handshake: (handshake: Handshake) => void;
  /** Any packet arrived. */
  packet: (packet: EnginePacket) => void;
  /** A message arrived. */
  message: (data: string | ArrayBuffer) => void;
  /** A message arrived (the name socket.io-client listens to). */
  data: (data: string | ArrayBuffer) => void;
  /** The server pinged. */
  ping: () => void;
  /** A packet was queued. */
  packetCreate: (packet: EnginePacket) => void;
  /** The write buffer was handed to the transport. */
  flush: () => void;
  /** The write buffer is empty. */
  drain: () => void;
  /** The websocket probe succeeded; the upgrade is under way. */
  upgrading: (transport: Transport) => void;
  /** The upgrade is done. */
  upgrade: (transport: Transport) => void;
  /** The upgrade failed; the socket stays on polling. */
  upgradeError: (error: Error) => void;
  /** A transport error. */
  error: (error: Error) => void;
  /** The socket closed. */
  close: (reason: EngineCloseReason, description?: unknown) => void;
}

/** A packet in the write buffer. */
export interface Queued extends EnginePacket {
  /** Write options. */
  options?: { compress?: boolean } | undefined;
}

let priorWebsocketSuccess = false;
const utf8 = new TextEncoder();

/**
 * An Engine.IO client connection. It connects as soon as it is made.
 *
 * @example Connect to an edgeio server and exchange a message
 * ```ts
 * import { EngineSocket } from "@edgeio/edgeio/client";
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 * import assert from "node:assert/strict";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, engine.fetch);
 * const socket = new EngineSocket(`http://127.0.0.1:${server.addr.port}`);
 * socket.on("open", () => socket.send("hello"));
 * const reply = await new Promise((resolve) => socket.on("message", resolve));
 * assert.equal(reply, "hello");
 * socket.close();
 * engine.close();
 * await server.shutdown();
 * ```
 */
export class EngineSocket extends Emitter<EngineSocketEvents> {
  /** The session id, once open. */
  id: string | undefined;
  /** The state of the connection. */
  readyState: "opening" | "open" | "closing" | "closed" = "opening";
  /** The current transport. */
  transport!: Transport;
  /** Packets waiting to be written. */
  writeBuffer: Queued[] = [];
  /** Whether the upgrade to websocket is under way. */
  upgrading = false;
  readonly #opts: EngineSocketOptions;
  readonly #base: URL;
  #transports: TransportName[];
  #handshake: Handshake | undefined;
  #inFlight = 0;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #pingDeadline = 0;

  /**
   * Connects.
   *
   * @param uri The server URL (relative URLs resolve against the page in a browser).
   * @param opts Options.
   */
  constructor(uri?: string | URL, opts: EngineSocketOptions = {}) {
    super();
    this.#opts = opts;
    this.#base = new URL(
      uri ?? "/",
      (globalThis as { location?: { href: string } }).location?.href,
    );
    const transports = opts.transports ?? ["polling", "websocket"];
    this.#transports = opts.rememberUpgrade && priorWebsocketSuccess &&
        transports.includes("websocket")
      ? ["websocket"]
      : transports.slice();
    this.#open();
  }

  /**
   * Queues a message.
   *
   * @param data Text or binary.
   * @param options `compress` is accepted for compatibility.
   * @param callback Called once the message is handed to the transport.
   * @returns This socket.
   */
  send(data: string | BinaryData, options?: { compress?: boolean }, callback?: () => void): this {
    this.#push("message", data, options, callback);
    return this;
  }

  /** Alias of {@linkcode EngineSocket.send}. */
  write(data: string | BinaryData, options?: { compress?: boolean }, callback?: () => void): this {
    return this.send(data, options, callback);
  }

  /**
   * Closes the connection once the write buffer is flushed.
   *
   * @returns This socket.
   */
  close(): this {
    const close = () => {
      const transport = this.transport;
      this.#onClose("forced close");
      transport.close();
    };
    const afterUpgrade = () => {
      this.once("upgrade", close);
      this.once("upgradeError", close);
    };
    if (this.readyState === "opening" || this.readyState === "open") {
      this.readyState = "closing";
      if (this.writeBuffer.length) {
        this.once("drain", () => this.upgrading ? afterUpgrade() : close());
      } else if (this.upgrading) afterUpgrade();
      else close();
    }
    return this;
  }

  #url(name: string): string {
    const opts = this.#opts;
    const base = this.#base;
    const query = new URLSearchParams(opts.query as Record<string, string> | string | undefined);
    for (const [key, value] of base.searchParams) query.set(key, value);
    query.set("EIO", "4");
    query.set("transport", name);
    if (this.id) query.set("sid", this.id);
    if (name === "polling" ? opts.timestampRequests !== false : opts.timestampRequests) {
      query.set(
        opts.timestampParam ?? "t",
        Date.now().toString(36) + Math.random().toString(36).slice(2, 6),
      );
    }
    const secure = base.protocol === "https:" || base.protocol === "wss:";
    const scheme = name === "websocket" ? (secure ? "wss" : "ws") : (secure ? "https" : "http");
    let path = opts.path ?? "/engine.io";
    if (opts.addTrailingSlash !== false && !path.endsWith("/")) path += "/";
    return `${scheme}://${base.host}${path}?${query}`;
  }

  #create(name: TransportName): Transport {
    const opts = this.#opts;
    const ctx = {
      url: (n: string) => this.#url(n),
      extraHeaders: opts.extraHeaders,
      withCredentials: opts.withCredentials,
      protocols: opts.protocols,
    };
    return name === "websocket" ? new WebSocketTransport(ctx) : new Polling(ctx);
  }

  #open(): void {
    const name = this.#transports[0];
    if (!name) {
      queueMicrotask(() => this.emit("error", new Error("No transports available")));
      return;
    }
    this.readyState = "opening";
    const transport = this.#create(name);
    this.#use(transport);
    transport.start();
  }

  #use(transport: Transport): void {
    this.transport?.removeAllListeners();
    this.transport = transport;
    transport.on("drain", () => this.#onDrain());
    transport.on("packet", (packet) => this.#onPacket(packet));
    transport.on("error", (error) => this.#onError(error));
    transport.on("close", (details) => this.#onClose("transport close", details));
  }

  #onPacket(packet: EnginePacket): void {
    if (this.readyState === "closed") return;
    this.emit("packet", packet);
    switch (packet.type) {
      case "open":
        return this.#onHandshake(packet.data as string);
      case "ping":
        this.#resetPing();
        this.#push("pong");
        this.emit("ping");
        return;
      case "message":
        this.emit("data", packet.data as string);
        this.emit("message", packet.data as string);
        return;
    }
  }

  #onHandshake(text: string): void {
    let handshake: Handshake;
    try {
      handshake = JSON.parse(text);
    } catch {
      return this.#onError(new TransportError("parse error", text));
    }
    this.#handshake = handshake;
    this.id = handshake.sid;
    this.emit("handshake", handshake);
    this.readyState = "open";
    priorWebsocketSuccess = this.transport.name === "websocket";
    this.#resetPing();
    this.emit("open");
    this.#flush();
    if (
      this.readyState === "open" && this.#opts.upgrade !== false &&
      this.transport.name === "polling" && handshake.upgrades.includes("websocket") &&
      this.#transports.includes("websocket")
    ) this.#probe();
  }

  #probe(): void {
    const probe = this.#create("websocket");
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      this.off("close", onEngineClose);
      probe.removeAllListeners();
      probe.close();
      this.upgrading = false;
      this.emit(
        "upgradeError",
        error instanceof Error ? error : new TransportError("probe error", error),
      );
    };
    const onEngineClose = () => fail("socket closed");
    this.once("close", onEngineClose);
    probe.once("open", () => {
      if (!failed) probe.send([{ type: "ping", data: "probe" }]);
    });
    probe.on("packet", (packet) => {
      if (failed) return;
      if (packet.type !== "pong" || packet.data !== "probe") return fail("probe error");
      this.upgrading = true;
      this.emit("upgrading", probe);
      priorWebsocketSuccess = true;
      this.transport.pause(() => {
        if (failed || this.readyState === "closed") return;
        failed = true;
        this.off("close", onEngineClose);
        probe.removeAllListeners();
        this.#use(probe);
        probe.send([{ type: "upgrade" }]);
        this.emit("upgrade", probe);
        this.upgrading = false;
        this.#flush();
      });
    });
    probe.on("error", fail);
    probe.on("close", () => fail("transport closed"));
    probe.start();
  }

  #push(
    type: EnginePacketType,
    data?: string | BinaryData,
    options?: { compress?: boolean },
    callback?: () => void,
  ): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    if (this.#handshake && Date.now() > this.#pingDeadline) {
      return this.#onClose("ping timeout");
    }
    const packet: Queued = data === undefined ? { type } : { type, data, options };
    this.writeBuffer.push(packet);
    this.emit("packetCreate", packet);
    if (callback) this.once("flush", callback);
    this.#flush();
  }

  #flush(): void {
    const transport = this.transport;
    if (
      this.readyState === "closed" || !transport.writable || this.upgrading ||
      !this.writeBuffer.length
    ) return;
    const packets = this.#writable(transport);
    this.#inFlight = packets.length;
    transport.send(packets);
    this.emit("flush");
  }

  // A polling payload must stay under the server's maxPayload; websocket frames go one by one.
  #writable(transport: Transport): Queued[] {
    const buffer = this.writeBuffer;
    const max = this.#handshake?.maxPayload;
    if (transport.name !== "polling" || !max || buffer.length === 1) return buffer.slice();
    let size = 1;
    for (let i = 0; i < buffer.length; i++) {
      const data = buffer[i]!.data;
      if (data !== undefined) {
        size += typeof data === "string"
          ? utf8.encode(data).length
          : Math.ceil(((data as ArrayBuffer).byteLength ?? 0) * 4 / 3);
      }
      if (i > 0 && size > max) return buffer.slice(0, i);
      size += 2;
    }
    return buffer.slice();
  }

  #onDrain(): void {
    this.writeBuffer.splice(0, this.#inFlight);
    this.#inFlight = 0;
    if (this.writeBuffer.length) this.#flush();
    else this.emit("drain");
  }

  #resetPing(): void {
    const handshake = this.#handshake;
    if (!handshake) return;
    clearTimeout(this.#pingTimer);
    const delay = handshake.pingInterval + handshake.pingTimeout;
    this.#pingDeadline = Date.now() + delay;
    this.#pingTimer = setTimeout(() => this.#onClose("ping timeout"), delay);
  }

  #onError(error: Error): void {
    priorWebsocketSuccess = false;
    if (
      this.#opts.tryAllTransports && this.#transports.length > 1 && this.readyState === "opening"
    ) {
      this.transport.removeAllListeners();
      this.transport.close();
      this.#transports.shift();
      return this.#open();
    }
    this.emit("error", error);
    this.#onClose("transport error", error);
  }

  #onClose(reason: EngineCloseReason, description?: unknown): void {
    if (this.readyState === "closed") return;
    clearTimeout(this.#pingTimer);
    const transport = this.transport;
    transport.removeAllListeners();
    if (reason !== "forced close") transport.close();
    this.readyState = "closed";
    this.id = undefined;
    this.emit("close", reason, description);
    this.writeBuffer = [];
    this.#inFlight = 0;
  }
}
