/**
 * One Engine.IO session (the official server calls it a socket): its write buffer, heartbeat,
 * transport, upgrade and close.
 *
 * @module
 */

import type { EnginePacket, EnginePacketType } from "../../parser/mod.ts";
import { Emitter } from "../../parser/emitter.ts";
import type { OutPacket, Transport, TransportHandler } from "./_transport.ts";
import type { ResolvedEngineOptions, TransportName } from "./options.ts";

/** Why a session closed, in the official words. */
export type CloseReason =
  | "transport error"
  | "transport close"
  | "forced close"
  | "ping timeout"
  | "parse error";

/** Message data as it travels: text, or bytes. */
export type MessageData = string | Uint8Array;

/** Options of one outgoing message. */
export interface SendOptions {
  /** Whether the message may be compressed (kept for API parity; edge runtimes compress). */
  compress?: boolean;
}

/** The events of a session. */
export type SessionEvents = {
  /** The open packet was queued. */
  open: () => void;
  /** A packet arrived. */
  packet: (packet: EnginePacket) => void;
  /** A packet was queued to be sent. */
  packetCreate: (packet: EnginePacket) => void;
  /** The client proved alive (pong in v4, ping in v3). */
  heartbeat: () => void;
  /** A message arrived. */
  message: (data: MessageData) => void;
  /** Alias of `message`. */
  data: (data: MessageData) => void;
  /** A WebSocket answered the probe; the upgrade is under way. */
  upgrading: (transport: TransportName) => void;
  /** The session moved to the WebSocket. */
  upgrade: (transport: TransportName) => void;
  /** Packets are about to be written. */
  flush: (packets: EnginePacket[]) => void;
  /** Packets were written. */
  drain: () => void;
  /** The session closed. */
  close: (reason: CloseReason, description?: string) => void;
};

/** What a session needs from its server. */
export interface SessionHost {
  /** The engine options. */
  readonly options: ResolvedEngineOptions;
  /** The transports a session on `transport` may upgrade to. */
  upgradesFor(transport: TransportName): TransportName[];
}

const UPGRADE_CHECK_INTERVAL = 100;

/**
 * What the engine reaches inside a session: its transport, and the start of an upgrade. Not
 * part of the public API (server/engine/mod.ts does not export it).
 */
export let sessionInternals: {
  transport(session: Session): Transport;
  upgrade(session: Session, transport: Transport): void;
  /**
   * Makes a session that is open already (a Durable Object woke up with its WebSocket): no open
   * packet; a v4 session pings at once, so the client proves it is still there.
   */
  restore(
    id: string,
    host: SessionHost,
    transport: Transport,
    request: Request,
    info: { protocol: 3 | 4; remoteAddress: string },
  ): Session;
};

let restoring = false;

/**
 * One client connection at the Engine.IO level. Made by the engine on a handshake and handed to
 * `connection` listeners.
 *
 * @example Echo every message
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 *
 * const engine = new EngineServer();
 * engine.on("connection", (session) => {
 *   session.on("message", (data) => session.send(data));
 * });
 * ```
 */
export class Session extends Emitter<SessionEvents> {
  /** The session id (`sid`). */
  readonly id: string;
  /** The Engine.IO revision of the client: 4, or 3 for Socket.IO v2 clients. */
  readonly protocol: 3 | 4;
  /** The handshake request. */
  readonly request: Request;
  /** The client's address, where the runtime tells it. */
  readonly remoteAddress: string;
  /** `opening`, `open`, `closing` or `closed`. */
  readyState: "opening" | "open" | "closing" | "closed" = "opening";
  /** Whether a WebSocket upgrade is under way. */
  upgrading = false;
  /** Whether the session moved to a WebSocket after starting on polling. */
  upgraded = false;
  #transport!: Transport;
  readonly #host: SessionHost;
  #writeBuffer: OutPacket[] = [];
  #packetCallbacks: Array<() => void> = [];
  #sentCallbacks: Array<Array<() => void>> = [];
  #pingIntervalTimer: unknown;
  #pingTimeoutTimer: unknown;
  #awaitingPong = false;
  #refreshedPingTimeout = false;
  #cancelUpgrade: (() => void) | undefined;

  /**
   * Starts a session on a transport and queues its open packet. Made by the engine.
   *
   * @param id The session id.
   * @param host The server.
   * @param transport The first transport.
   * @param request The handshake request.
   * @param info The client's protocol revision and address.
   */
  constructor(
    id: string,
    host: SessionHost,
    transport: Transport,
    request: Request,
    info: { protocol: 3 | 4; remoteAddress: string },
  ) {
    super();
    this.id = id;
    this.#host = host;
    this.request = request;
    this.protocol = info.protocol;
    this.remoteAddress = info.remoteAddress;
    this.#setTransport(transport);
    if (restoring) this.#resume();
    else this.#open();
  }

  /** The name of the current transport. */
  get transportName(): TransportName {
    return this.#transport.name;
  }

  /** Whether a packet sent now would be written at once (volatile packets are dropped else). */
  get writable(): boolean {
    return this.readyState === "open" && this.#transport.writable;
  }

  /**
   * Sends a message.
   *
   * @param data Text or bytes.
   * @param options Per-message options.
   * @param callback Called once the message is written to the transport.
   * @returns This session.
   */
  send(data: MessageData, options?: SendOptions, callback?: () => void): this {
    this.#sendPacket("message", data, options, callback);
    return this;
  }

  /** Alias of {@linkcode Session.send}. */
  write(data: MessageData, options?: SendOptions, callback?: () => void): this {
    return this.send(data, options, callback);
  }

  /**
   * Closes the session once what is queued is written; with `discard`, at once.
   *
   * @param discard Whether to drop the transport without flushing.
   */
  close(discard = false): void {
    if (discard && (this.readyState === "open" || this.readyState === "closing")) {
      this.#closeTransport(discard);
      return;
    }
    if (this.readyState !== "open") return;
    this.readyState = "closing";
    if (this.#writeBuffer.length > 0) {
      this.once("drain", () => this.#closeTransport(discard));
      return;
    }
    this.#closeTransport(discard);
  }

  static {
    sessionInternals = {
      transport: (session) => session.#transport,
      upgrade: (session, transport) => session.#maybeUpgrade(transport),
      restore: (id, host, transport, request, info) => {
        restoring = true;
        try {
          return new Session(id, host, transport, request, info);
        } finally {
          restoring = false;
        }
      },
    };
  }

  // Answers the probe, releases the pending poll, and switches on the client's upgrade packet.
  #maybeUpgrade(transport: Transport): void {
    const { timers, upgradeTimeout } = this.#host.options;
    this.upgrading = true;
    let checkTimer: unknown;
    const cleanup = () => {
      this.upgrading = false;
      timers.clearTimeout(checkTimer);
      timers.clearTimeout(timeoutTimer);
      this.#cancelUpgrade = undefined;
    };
    const abandon = () => {
      cleanup();
      transport.detach();
      transport.close();
    };
    const timeoutTimer = timers.setTimeout(abandon, upgradeTimeout);
    this.#cancelUpgrade = abandon;
    const check = () => {
      const current = this.#transport;
      if (current.name === "polling" && current.writable) current.send([{ type: "noop" }]);
      checkTimer = timers.setTimeout(check, UPGRADE_CHECK_INTERVAL);
    };
    transport.handler = {
      onPacket: (packet) => {
        if (packet.type === "ping" && packet.data === "probe") {
          transport.send([{ type: "pong", data: "probe" }]);
          this.emit("upgrading", transport.name);
          timers.clearTimeout(checkTimer);
          check();
        } else if (packet.type === "upgrade" && this.readyState !== "closed") {
          cleanup();
          this.#transport.discard();
          this.upgraded = true;
          this.#clearTransport();
          this.#setTransport(transport);
          this.emit("upgrade", transport.name);
          this.#flush();
          if (this.readyState === "closing") {
            transport.close(() => this.#onClose("forced close"));
          }
        } else {
          abandon();
        }
      },
      onReady() {},
      onDrain() {},
      onError: abandon,
      onParseError: abandon,
      onClose: cleanup,
    };
  }

  #open(): void {
    const { pingInterval, pingTimeout, maxHttpBufferSize } = this.#host.options;
    this.readyState = "open";
    this.#sendPacket(
      "open",
      JSON.stringify({
        sid: this.id,
        upgrades: this.#host.upgradesFor(this.#transport.name),
        pingInterval,
        pingTimeout,
        maxPayload: maxHttpBufferSize,
      }),
    );
    this.emit("open");
    if (this.protocol === 3) this.#resetPingTimeout();
    else this.#schedulePing();
  }

  #resume(): void {
    this.readyState = "open";
    if (this.protocol === 3) this.#resetPingTimeout();
    else this.#ping();
  }

  #onPacket(packet: EnginePacket): void {
    if (this.readyState !== "open") return;
    this.emit("packet", packet);
    if (
      this.protocol === 4 && this.#awaitingPong && !this.#refreshedPingTimeout &&
      packet.type !== "pong"
    ) {
      // Incoming data proves the peer alive: give it one more pingTimeout to answer the ping.
      this.#refreshedPingTimeout = true;
      this.#resetPingTimeout();
    }
    switch (packet.type) {
      case "ping":
        if (this.protocol !== 3) return this.#onError("invalid heartbeat direction");
        this.#resetPingTimeout();
        this.#sendPacket("pong");
        this.emit("heartbeat");
        break;
      case "pong":
        if (this.protocol === 3) return this.#onError("invalid heartbeat direction");
        this.#host.options.timers.clearTimeout(this.#pingTimeoutTimer);
        this.#awaitingPong = false;
        this.#schedulePing();
        this.emit("heartbeat");
        break;
      case "message": {
        const data = packet.data as MessageData;
        this.emit("data", data);
        this.emit("message", data);
        break;
      }
    }
  }

  #schedulePing(): void {
    const { timers, pingInterval } = this.#host.options;
    timers.clearTimeout(this.#pingIntervalTimer);
    this.#pingIntervalTimer = timers.setTimeout(() => this.#ping(), pingInterval, "ping");
  }

  #ping(): void {
    this.#refreshedPingTimeout = false;
    this.#awaitingPong = true;
    this.#sendPacket("ping");
    this.#resetPingTimeout();
  }

  #resetPingTimeout(): void {
    const { timers, pingInterval, pingTimeout } = this.#host.options;
    timers.clearTimeout(this.#pingTimeoutTimer);
    this.#pingTimeoutTimer = timers.setTimeout(
      () => this.#onClose("ping timeout"),
      this.protocol === 3 ? pingInterval + pingTimeout : pingTimeout,
      "pingTimeout",
    );
  }

  #setTransport(transport: Transport): void {
    this.#transport = transport;
    const handler: TransportHandler = {
      onPacket: (packet) => this.#onPacket(packet),
      onReady: () => this.#flush(),
      onDrain: () => this.#onDrain(),
      onError: (message) => this.#onError(message),
      onParseError: () => this.#onClose("parse error"),
      onClose: () => this.#onClose("transport close"),
    };
    transport.handler = handler;
  }

  #clearTransport(): void {
    const transport = this.#transport;
    transport.detach();
    // The session is gone: a later poll would only hear "Session ID unknown", so the transport
    // need not wait for one to deliver a close packet.
    transport.discard();
    transport.close();
    this.#host.options.timers.clearTimeout(this.#pingTimeoutTimer);
  }

  #onError(message: string): void {
    this.#onClose("transport error", message);
  }

  #onDrain(): void {
    const callbacks = this.#sentCallbacks.shift();
    if (callbacks) { for (const callback of callbacks) callback(); }
  }

  #onClose(reason: CloseReason, description?: string): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    const { timers } = this.#host.options;
    timers.clearTimeout(this.#pingIntervalTimer);
    timers.clearTimeout(this.#pingTimeoutTimer);
    this.#cancelUpgrade?.();
    this.#writeBuffer = [];
    this.#packetCallbacks = [];
    this.#sentCallbacks = [];
    this.#clearTransport();
    this.emit("close", reason, description);
  }

  #sendPacket(
    type: EnginePacketType,
    data?: MessageData,
    options?: SendOptions,
    callback?: () => void,
  ): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet: OutPacket = { type, options: { compress: options?.compress !== false } };
    if (data !== undefined) packet.data = data;
    this.emit("packetCreate", packet);
    this.#writeBuffer.push(packet);
    if (callback) this.#packetCallbacks.push(callback);
    this.#flush();
  }

  #flush(): void {
    const transport = this.#transport;
    if (this.readyState === "closed" || !transport.writable || this.#writeBuffer.length === 0) {
      return;
    }
    const packets = this.#writeBuffer;
    this.emit("flush", packets);
    this.#writeBuffer = [];
    this.#sentCallbacks.push(this.#packetCallbacks);
    this.#packetCallbacks = [];
    transport.send(packets);
    this.emit("drain");
  }

  #closeTransport(discard: boolean): void {
    if (discard) this.#transport.discard();
    this.#transport.close(() => this.#onClose("forced close"));
  }
}
