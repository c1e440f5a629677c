/**
 * One Engine.IO session seen from the Socket.IO layer: it decodes packets, routes them to the
 * socket of their namespace, answers CONNECT packets, and writes encoded frames.
 *
 * @module
 */

import type { BroadcastFlags } from "../adapter/types.ts";
import {
  encodeFrames,
  type Packet,
  type PacketDecoder,
  type PacketEncoder,
  PacketType,
  toUint8Array,
} from "../parser/mod.ts";
import { Decoder } from "../parser/socket_decoder.ts";
import type { Timers } from "./engine/options.ts";
import type { MessageData, Session } from "./engine/session.ts";
import type { Handshake, Socket } from "./socket.ts";
import type { Server } from "./io_server.ts";

const clients = new WeakMap<Session, Client>();

/**
 * What a Durable Object's hibernation mode reaches inside a client: the client of a session, its
 * sockets, and a socket made again after a wake-up taken in. Not part of the public API.
 */
export let clientInternals: {
  of(conn: Session): Client | undefined;
  sockets(client: Client): Socket[];
  adopt(client: Client, socket: Socket): void;
};

/**
 * The Socket.IO view of one connection, shared by the namespaces it joined. Made by the server
 * for each Engine.IO session.
 */
export class Client {
  /** The Engine.IO session. */
  readonly conn: Session;
  /** The server. */
  readonly server: Server;
  readonly #decoder: PacketDecoder;
  readonly #encoder: PacketEncoder;
  readonly #sockets = new Map<string, Socket>();
  readonly #nsps = new Map<string, Socket>();
  #connectTimer: unknown;

  /**
   * Takes over an Engine.IO session.
   *
   * @param server The server.
   * @param conn The session.
   * @param restored Whether the session continues after a Durable Object woke up: its sockets
   * are taken in again, so no connect timeout and no implicit v2 connection.
   */
  constructor(server: Server, conn: Session, restored = false) {
    this.server = server;
    this.conn = conn;
    clients.set(conn, this);
    this.#encoder = server.encoder;
    const { parser } = server.options;
    // socket.io v2 clients (EIO=3) speak protocol v4; edgeio's decoder reads it when told.
    this.#decoder = conn.protocol === 3 && parser.Decoder === Decoder
      ? new Decoder({ protocol: 4 })
      : new parser.Decoder();
    this.#decoder.on("decoded", (packet) => this.#ondecoded(packet));
    conn.on("data", (data) => this.#ondata(data));
    conn.on("close", (reason, description) => this.#onclose(reason, description));
    if (restored) return;
    this.#connectTimer = this.timers.setTimeout(() => {
      if (this.#nsps.size === 0) this.conn.close();
    }, server.options.connectTimeout);
    // socket.io v2 clients join "/" without a CONNECT packet.
    if (conn.protocol === 3) this.#connect("/", {});
  }

  static {
    clientInternals = {
      of: (conn) => clients.get(conn),
      sockets: (client) => [...client.#sockets.values()],
      adopt: (client, socket) => {
        client.#sockets.set(socket.id, socket);
        client.#nsps.set(socket.nsp.name, socket);
      },
    };
  }

  /** The Engine.IO session id. */
  get id(): string {
    return this.conn.id;
  }

  /** The Engine.IO revision of the client (3 for Socket.IO v2 clients). */
  get protocol(): 3 | 4 {
    return this.conn.protocol;
  }

  /** The server's timers. */
  get timers(): Timers {
    return this.server.engine.options.timers;
  }

  /**
   * The handshake details of a socket joining with `auth`.
   *
   * @param auth The CONNECT payload.
   * @returns The details.
   */
  handshake(auth: Record<string, unknown>): Handshake {
    const request = this.conn.request;
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => headers[name] = value);
    const issued = Date.now();
    return {
      headers,
      time: new Date(issued).toString(),
      address: this.conn.remoteAddress,
      xdomain: request.headers.has("origin"),
      secure: url.protocol === "https:" || url.protocol === "wss:",
      issued,
      url: url.pathname + url.search,
      query: Object.fromEntries(url.searchParams),
      auth,
    };
  }

  /**
   * Encodes and writes a packet.
   *
   * @param packet The packet.
   * @param flags `volatile` drops it when the transport is busy; `compress` passes through.
   */
  packet(packet: Packet, flags: BroadcastFlags): void {
    if (flags.volatile && !this.conn.writable) return;
    this.writeFrames(encodeFrames(this.#encoder, packet), flags);
  }

  /**
   * Writes frames already encoded.
   *
   * @param frames The frames.
   * @param flags `volatile` drops them when the transport is busy.
   */
  writeFrames(frames: readonly unknown[], flags: BroadcastFlags): void {
    if (this.conn.readyState !== "open") return;
    if (flags.volatile && !this.conn.writable) return;
    const options = { compress: flags.compress !== false };
    for (const frame of frames) {
      const data: MessageData = typeof frame === "string"
        ? frame
        : toUint8Array(frame as ArrayBuffer | ArrayBufferView);
      this.conn.write(data, options);
    }
  }

  /** Closes the whole connection, disconnecting every socket on it. */
  disconnect(): void {
    for (const socket of [...this.#sockets.values()]) socket.disconnect();
    this.conn.close();
  }

  /** Forgets a socket that left (socket-internal). */
  remove(socket: Socket): void {
    this.#sockets.delete(socket.id);
    this.#nsps.delete(socket.nsp.name);
  }

  #ondata(data: MessageData): void {
    try {
      this.#decoder.add(typeof data === "string" ? data : this.server.parserBinary(data) as never);
    } catch (error) {
      this.#onerror(error);
    }
  }

  #ondecoded(packet: Packet): void {
    let nsp = packet.nsp;
    let auth: Record<string, unknown> = (packet.data ?? {}) as Record<string, unknown>;
    if (this.protocol === 3) {
      // Socket.IO v2 sends the auth as the namespace's query string.
      const query = nsp.indexOf("?");
      if (query !== -1) {
        auth = Object.fromEntries(new URLSearchParams(nsp.slice(query + 1)));
        nsp = nsp.slice(0, query);
      }
    }
    const socket = this.#nsps.get(nsp);
    if (!socket && packet.type === PacketType.CONNECT) {
      this.#connect(nsp, auth);
    } else if (
      socket && packet.type !== PacketType.CONNECT && packet.type !== PacketType.CONNECT_ERROR
    ) {
      socket.onpacket(packet);
    } else {
      // A second CONNECT, a CONNECT_ERROR, or a packet for a namespace not joined: socket.io
      // closes the connection.
      this.#close();
    }
  }

  #connect(name: string, auth: Record<string, unknown>): void {
    if (this.#nsps.has(name)) return;
    this.server.namespaceFor(name, auth, this).then((nsp) => {
      if (this.conn.readyState !== "open") return;
      if (!nsp) {
        const data = this.protocol === 3 ? "Invalid namespace" : { message: "Invalid namespace" };
        this.packet({ type: PacketType.CONNECT_ERROR, nsp: name, data }, {});
        return;
      }
      return nsp.add(this, auth, (socket) => {
        this.#sockets.set(socket.id, socket);
        this.#nsps.set(nsp.name, socket);
        this.timers.clearTimeout(this.#connectTimer);
      });
    }).catch((error) => {
      // A failing adapter (a store that is away while restoring a session) or namespace matcher
      // must not become an unhandled rejection: the client is refused and may retry.
      if (this.conn.readyState !== "open") return;
      const message = error instanceof Error ? error.message : String(error);
      const data = this.protocol === 3 ? message : { message };
      this.packet({ type: PacketType.CONNECT_ERROR, nsp: name, data }, {});
    });
  }

  // As socket.io's Client#close(): the sockets leave at once if the transport cannot close now.
  #close(): void {
    if (this.conn.readyState !== "open") return;
    this.conn.close();
    this.#onclose("forced server close", undefined);
  }

  // As socket.io: the sockets hear the decoder's error, then the connection closes (their
  // reason is then the engine's, `forced close`).
  #onerror(error: unknown): void {
    const reason = error instanceof Error ? error : new Error(String(error));
    for (const socket of [...this.#sockets.values()]) socket.emitReserved("error", reason);
    this.conn.close();
  }

  #onclose(reason: string, description: unknown): void {
    this.timers.clearTimeout(this.#connectTimer);
    for (const socket of [...this.#sockets.values()]) {
      socket.onclose(reason as Parameters<Socket["onclose"]>[0], description);
    }
    this.#sockets.clear();
    this.#nsps.clear();
    this.#decoder.destroy();
  }
}
