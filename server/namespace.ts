/**
 * A namespace: its sockets, its middlewares, its adapter, and broadcasts to its sockets.
 *
 * @module
 */

import type { Adapter } from "../adapter/adapter.ts";
import type { AdapterNamespace, Room } from "../adapter/types.ts";
import { Emitter, encodeFrames, type EventsMap, type Packet } from "../parser/mod.ts";
import { BroadcastOperator, type RemoteSocket } from "./broadcast_operator.ts";
import type { Client } from "./client.ts";
import type { Timers } from "./engine/options.ts";
import type { Server } from "./io_server.ts";
import { Socket } from "./socket.ts";

/** A connection middleware: calls `next()` to admit the socket or `next(error)` to refuse it. */
export type Middleware = (
  socket: Socket,
  next: (error?: Error & { data?: unknown }) => void,
) => void | Promise<void>;

/**
 * A namespace. `io.of("/admin")` makes or finds one; `io.sockets` is the main one (`/`).
 *
 * @example
 * ```ts
 * import { Server } from "@edgeio/edgeio/server";
 *
 * const io = new Server();
 * const admin = io.of("/admin");
 * admin.use((socket, next) => (socket.handshake.auth.token ? next() : next(new Error("no token"))));
 * admin.on("connection", (socket) => socket.emit("welcome"));
 * io.close();
 * ```
 */
export class Namespace extends Emitter<EventsMap> implements AdapterNamespace {
  /** The namespace name. */
  readonly name: string;
  /** The server. */
  readonly server: Server;
  /** The connected sockets of this namespace on this server, by id. */
  readonly sockets: Map<string, Socket> = new Map();
  /** The adapter. */
  readonly adapter: Adapter;
  #fns: Middleware[] = [];
  #ids = 0;

  /**
   * Made by the server.
   *
   * @param server The server.
   * @param name The name.
   * @param options `adapter` makes this namespace's adapter instead of the server's adapter class
   * (a parent namespace's adapter fans out to its children).
   */
  constructor(
    server: Server,
    name: string,
    options: { adapter?: (nsp: Namespace) => Adapter } = {},
  ) {
    super();
    this.server = server;
    this.name = name;
    this.adapter = options.adapter?.(this) ?? new server.adapterClass(this);
    void this.adapter.init();
  }

  /** Timers for ack timeouts. */
  get timers(): Timers {
    return this.server.engine.options.timers;
  }

  /** Connection state recovery settings, or `false`. */
  get connectionStateRecovery(): { maxDisconnectionDuration: number } | false {
    return this.server.options.connectionStateRecovery;
  }

  /**
   * Encodes a packet with the server's parser (adapter-internal).
   *
   * @param packet The packet.
   * @returns The frames.
   */
  encode(packet: Packet): unknown[] {
    return encodeFrames(this.server.encoder, packet);
  }

  /** Delivers a `serverSideEmit` from another server (adapter-internal). */
  onServerSideEmit(args: unknown[]): void {
    const [event, ...rest] = args;
    super.emit(String(event), ...rest);
  }

  /** The next ack id for packets of this namespace. */
  nextAckId(): number {
    return this.#ids++;
  }

  /**
   * Adds a connection middleware.
   *
   * @param fn The middleware.
   * @returns This namespace.
   */
  use(fn: Middleware): this {
    this.#fns.push(fn);
    return this;
  }

  /** Targets rooms. */
  to(room: Room | Room[]): BroadcastOperator {
    return new BroadcastOperator(this).to(room);
  }

  /** Alias of {@linkcode Namespace.to}. */
  in(room: Room | Room[]): BroadcastOperator {
    return this.to(room);
  }

  /** Leaves out the sockets of rooms. */
  except(room: Room | Room[]): BroadcastOperator {
    return new BroadcastOperator(this).except(room);
  }

  /** Only this server's sockets. */
  get local(): BroadcastOperator {
    return new BroadcastOperator(this).local;
  }

  /** The packet may be dropped for clients not ready to receive it. */
  get volatile(): BroadcastOperator {
    return new BroadcastOperator(this).volatile;
  }

  /** Sets whether the packet may be compressed. */
  compress(compress: boolean): BroadcastOperator {
    return new BroadcastOperator(this).compress(compress);
  }

  /** Gives acks `ms` milliseconds. */
  timeout(ms: number): BroadcastOperator {
    return new BroadcastOperator(this).timeout(ms);
  }

  /**
   * Sends an event to every socket of the namespace.
   *
   * @param event The event name.
   * @param args The arguments; a function last collects the acks.
   * @returns `true`.
   */
  override emit(event: string, ...args: unknown[]): boolean {
    return new BroadcastOperator(this).emit(event, ...args);
  }

  /** Sends an event to every socket and resolves with their answers. */
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown[]> {
    return new BroadcastOperator(this).emitWithAck(event, ...args);
  }

  /** Sends a `message` event to every socket. */
  send(...args: unknown[]): this {
    this.emit("message", ...args);
    return this;
  }

  /** Alias of {@linkcode Namespace.send}. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** The sockets of the namespace. */
  fetchSockets(): Promise<RemoteSocket[]> {
    return new BroadcastOperator(this).fetchSockets();
  }

  /** Makes every socket join rooms. */
  socketsJoin(room: Room | Room[]): void {
    new BroadcastOperator(this).socketsJoin(room);
  }

  /** Makes every socket leave rooms. */
  socketsLeave(room: Room | Room[]): void {
    new BroadcastOperator(this).socketsLeave(room);
  }

  /** Disconnects every socket. */
  disconnectSockets(close = false): void {
    new BroadcastOperator(this).disconnectSockets(close);
  }

  /**
   * Sends an event to the other servers of the cluster (nothing to do on one server, but an ack
   * callback last is answered with no responses).
   *
   * @param event The event name.
   * @param args The arguments.
   * @returns `true`.
   */
  serverSideEmit(event: string, ...args: unknown[]): boolean {
    this.adapter.serverSideEmit([event, ...args]);
    return true;
  }

  /** Emits a local event to this namespace's own listeners. */
  emitReserved(event: "connection" | "connect", socket: Socket): boolean {
    return super.emit(event, socket);
  }

  /**
   * Admits a client (client-internal): restores its session when it presents a recoverable one,
   * runs the middlewares, then connects the socket.
   */
  async add(
    client: Client,
    auth: Record<string, unknown>,
    onJoined: (socket: Socket) => void,
  ): Promise<void> {
    const recovery = this.server.options.connectionStateRecovery;
    let session = null;
    if (recovery && client.protocol === 4 && typeof auth.pid === "string") {
      const offset = typeof auth.offset === "string" ? auth.offset : undefined;
      session = await this.adapter.restoreSession(auth.pid, offset);
    }
    const socket = new Socket(this, client, auth, session ?? undefined);
    if (!(session && recovery && recovery.skipMiddlewares)) {
      const error = await this.#runMiddlewares(socket);
      if (error) {
        if (client.conn.readyState === "open") socket.refuse(error);
        return;
      }
    }
    if (client.conn.readyState !== "open") return;
    this.sockets.set(socket.id, socket);
    socket.connectedAtOffset = this.adapter.currentOffset();
    socket.onconnect();
    if (session) {
      await socket.join(session.rooms);
      for (const data of session.missedPackets) {
        client.packet({ type: 2, nsp: this.name, data }, {});
      }
    }
    onJoined(socket);
    // socket.io's order: "connect", then "connection".
    this.emitReserved("connect", socket);
    this.emitReserved("connection", socket);
    if (this.name === "/") this.server.emitReserved("connection", socket);
  }

  /** Forgets a socket that left (socket-internal). */
  remove(socket: Socket): void {
    this.sockets.delete(socket.id);
  }

  async #runMiddlewares(socket: Socket): Promise<(Error & { data?: unknown }) | undefined> {
    for (const fn of this.#fns) {
      const error = await new Promise<(Error & { data?: unknown }) | undefined>((resolve) => {
        try {
          const returned = fn(socket, resolve);
          if (returned instanceof Promise) returned.catch(resolve);
        } catch (error) {
          resolve(error instanceof Error ? error : new Error(String(error)));
        }
      });
      if (error) return error;
    }
    return undefined;
  }
}
