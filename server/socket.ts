/**
 * The server side of one client's connection to one namespace: events both ways, acks, rooms,
 * per-packet middleware, and its disconnection.
 *
 * @module
 */

import type { BroadcastFlags, Room, SocketDetails } from "../adapter/types.ts";
import { type EventsMap, type Packet, PacketType, RESERVED_EVENTS } from "../parser/mod.ts";
import { BroadcastOperator } from "./broadcast_operator.ts";
import type { Client } from "./client.ts";
import type { Session } from "./engine/session.ts";
import { generateSessionId } from "./engine/session_id.ts";
import type { Namespace } from "./namespace.ts";
import { StrictEventEmitter } from "./strict_event_emitter.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventParams,
  FirstNonErrorArg,
  Last,
} from "./typed_events.ts";

/** Why a socket was disconnected, in the official words. */
export type DisconnectReason =
  | "transport error"
  | "transport close"
  | "forced close"
  | "ping timeout"
  | "parse error"
  | "server shutting down"
  | "forced server close"
  | "client namespace disconnect"
  | "server namespace disconnect";

const RECOVERABLE: ReadonlySet<string> = new Set([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
]);

/** The details of the handshake, as `socket.handshake` gives them. */
export interface Handshake {
  /** The headers of the handshake request. */
  headers: Record<string, string>;
  /** When the handshake happened, as `Date#toString()` gives it. */
  time: string;
  /** The client's address. */
  address: string;
  /** Whether the request came from another origin. */
  xdomain: boolean;
  /** Whether the request came over HTTPS. */
  secure: boolean;
  /** When the handshake happened, in milliseconds since the epoch. */
  issued: number;
  /** The request URL (path and query). */
  url: string;
  /** The query parameters. */
  query: Record<string, string>;
  /** The auth payload the client sent with its CONNECT. */
  auth: Record<string, unknown>;
}

/** A per-packet middleware: gets `[event, ...args]`, calls `next()` or `next(error)`. */
export type PacketMiddleware = (event: unknown[], next: (error?: Error) => void) => void;

/** A listener of every incoming or outgoing event. */
// deno-lint-ignore no-explicit-any
export type AnyListener = (event: string, ...args: any[]) => void;

/** Local events of a socket. */
export type SocketReservedEvents = {
  /** The socket is about to leave its rooms. */
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  /** The socket is gone. */
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  /** A per-packet middleware failed. */
  error: (error: Error) => void;
};

/**
 * The broadcast operator of a socket, a namespace or a server: its ack callbacks get one answer
 * per client.
 */
export type SocketOperator<EmitEvents extends EventsMap, SocketData> = BroadcastOperator<
  DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
  SocketData
>;

type Ack = ((...args: unknown[]) => void) & { withError?: boolean; cancel?: () => void };

/** Thrown to an emitter, or given to an ack, when acks do not come in time. */
export class AckTimeoutError extends Error {
  /** Makes the error with socket.io's message. */
  constructor() {
    super("operation has timed out");
    this.name = "AckTimeoutError";
  }
}

/**
 * One client in one namespace. Made by the namespace when a client joins it; handed to
 * `connection` listeners.
 *
 * @typeParam ListenEvents The events the client sends (what `on` listens to).
 * @typeParam EmitEvents The events sent to the client (what `emit` sends).
 * @typeParam ServerSideEvents The events servers of a cluster send each other.
 * @typeParam SocketData The type of `data`.
 *
 * @example
 * ```ts
 * import { Server } from "@edgeio/edgeio/server";
 *
 * const io = new Server();
 * io.on("connection", (socket) => {
 *   socket.join("lobby");
 *   socket.on("chat", (text: string, ack?: (ok: boolean) => void) => {
 *     socket.to("lobby").emit("chat", text);
 *     ack?.(true);
 *   });
 * });
 * io.close();
 * ```
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends StrictEventEmitter<ListenEvents, SocketReservedEvents> {
  /** The Socket.IO id (not the Engine.IO session id). */
  readonly id: string;
  /** The handshake details. */
  readonly handshake: Handshake;
  /** The namespace. */
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The client (one Engine.IO session, shared by the namespaces it joined). */
  readonly client: Client;
  /** Free storage for the application; kept across recovery. */
  data: SocketData = {} as SocketData;
  /** Whether the socket is connected. */
  connected = false;
  /** Whether this socket continues a recovered session. */
  readonly recovered: boolean;
  /** The private id the client presents to recover (with recovery on). */
  readonly pid: string | undefined;
  /** The offset of the newest logged packet when the socket connected. */
  connectedAtOffset: string | undefined;
  readonly #acks = new Map<number, Ack>();
  #fns: PacketMiddleware[] = [];
  #anyListeners: AnyListener[] = [];
  #anyOutgoingListeners: AnyListener[] = [];
  #flags: BroadcastFlags = {};

  /**
   * Made by the namespace.
   *
   * @param nsp The namespace.
   * @param client The client.
   * @param auth The CONNECT payload.
   * @param previous A recovered session to continue.
   */
  constructor(
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    auth: Record<string, unknown>,
    previous?: { sid: string; pid: string; data: unknown },
  ) {
    super();
    this.nsp = nsp;
    this.client = client;
    this.recovered = previous !== undefined;
    if (previous) {
      this.id = previous.sid;
      this.pid = previous.pid;
      this.data = (previous.data ?? {}) as SocketData;
    } else {
      this.id = client.protocol === 3
        ? (nsp.name === "/" ? client.id : `${nsp.name}#${client.id}`)
        : generateSessionId();
      this.pid = nsp.server.options.connectionStateRecovery ? generateSessionId() : undefined;
    }
    this.handshake = client.handshake(auth);
  }

  /** The Engine.IO session under this socket. */
  get conn(): Session {
    return this.client.conn;
  }

  /** Whether the socket is disconnected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** The rooms the socket is in (its own id included). */
  get rooms(): Set<Room> {
    return this.nsp.adapter.socketRooms(this.id) ?? new Set();
  }

  /**
   * Sends an event to the client. A function as the last argument receives the client's ack.
   *
   * @param ev The event name (not a reserved one).
   * @param args The arguments; binary values anywhere are sent as attachments.
   * @returns `true`.
   * @throws {Error} When the event name is reserved.
   */
  emit<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.#emit(ev as string, args as unknown[]);
  }

  #emit(event: string, args: unknown[]): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const data: unknown[] = [event, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    const flags = this.#takeFlags();
    if (typeof data[data.length - 1] === "function") {
      const id = this.nsp.nextAckId();
      const ack = data.pop() as Ack;
      this.#registerAck(id, ack, flags.timeout);
      packet.id = id;
    }
    const recovery = this.nsp.server.options.connectionStateRecovery;
    if (recovery && packet.id === undefined && !flags.volatile) {
      // Through the adapter, so the packet gets an offset and lands in the recovery log.
      this.nsp.adapter.broadcast(packet, { rooms: new Set([this.id]), except: new Set(), flags });
      return true;
    }
    this.#notifyOutgoing(data);
    this.client.packet(packet, flags);
    return true;
  }

  /**
   * Sends an event and resolves with the client's ack (rejects on timeout when `timeout()` set
   * one).
   *
   * @param ev The event name.
   * @param args The arguments.
   * @returns The ack's arguments (its first one when there is only one).
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    type Answer = FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>;
    const timeout = this.#flags.timeout;
    return new Promise((resolve, reject) => {
      const ack: Ack = timeout === undefined
        ? (...answer: unknown[]) => resolve((answer.length > 1 ? answer : answer[0]) as Answer)
        : (error: unknown, ...answer: unknown[]) =>
          error ? reject(error) : resolve((answer.length > 1 ? answer : answer[0]) as Answer);
      this.#emit(ev as string, [...(args as unknown[]), ack]);
    });
  }

  /** Sends a `message` event. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.#emit("message", args as unknown[]);
    return this;
  }

  /** Alias of {@linkcode Socket.send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /**
   * Sets an ack timeout for the next emit: its ack then gets `(error, ...answer)`.
   *
   * @param ms Milliseconds.
   * @returns This socket.
   */
  timeout(
    ms: number,
  ): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    this.#flags.timeout = ms;
    return this as unknown as Socket<
      ListenEvents,
      DecorateAcknowledgements<EmitEvents>,
      ServerSideEvents,
      SocketData
    >;
  }

  /** The next emit may be dropped if the client is not ready for it. */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /**
   * Sets whether the next emit may be compressed.
   *
   * @param compress Whether it may.
   * @returns This socket.
   */
  compress(compress: boolean): this {
    this.#flags.compress = compress;
    return this;
  }

  /** Broadcasts to every other socket of the namespace. */
  get broadcast(): SocketOperator<EmitEvents, SocketData> {
    return this.#operator();
  }

  /** Broadcasts to this server's sockets only. */
  get local(): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /**
   * Broadcasts to rooms, this socket excluded.
   *
   * @param room A room or rooms.
   * @returns A broadcast operator.
   */
  to(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Alias of {@linkcode Socket.to}. */
  in(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /**
   * Broadcasts to every other socket except those in the rooms.
   *
   * @param room A room or rooms.
   * @returns A broadcast operator.
   */
  except(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  /**
   * Joins rooms.
   *
   * @param rooms A room or rooms.
   */
  join(rooms: Room | Room[]): void | Promise<void> {
    return this.nsp.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  /**
   * Leaves a room.
   *
   * @param room The room.
   */
  leave(room: Room): void | Promise<void> {
    return this.nsp.adapter.del(this.id, room);
  }

  /**
   * Adds a per-packet middleware.
   *
   * @param fn Gets `[event, ...args]` and `next`.
   * @returns This socket.
   */
  use(fn: PacketMiddleware): this {
    this.#fns.push(fn);
    return this;
  }

  /** Listens for every incoming event. */
  onAny(listener: AnyListener): this {
    this.#anyListeners = [...this.#anyListeners, listener];
    return this;
  }

  /** Listens for every incoming event, before the other any-listeners. */
  prependAny(listener: AnyListener): this {
    this.#anyListeners = [listener, ...this.#anyListeners];
    return this;
  }

  /** Removes an any-listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.#anyListeners = listener ? this.#anyListeners.filter((l) => l !== listener) : [];
    return this;
  }

  /** The any-listeners. */
  listenersAny(): AnyListener[] {
    return [...this.#anyListeners];
  }

  /** Listens for every outgoing event. */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners = [...this.#anyOutgoingListeners, listener];
    return this;
  }

  /** Listens for every outgoing event, before the other outgoing any-listeners. */
  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners = [listener, ...this.#anyOutgoingListeners];
    return this;
  }

  /** Removes an outgoing any-listener, or all of them. */
  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoingListeners = listener
      ? this.#anyOutgoingListeners.filter((l) => l !== listener)
      : [];
    return this;
  }

  /** The outgoing any-listeners. */
  listenersAnyOutgoing(): AnyListener[] {
    return [...this.#anyOutgoingListeners];
  }

  /**
   * Disconnects the socket from its namespace; with `close`, closes the whole connection.
   *
   * @param close Whether to close the underlying connection.
   * @returns This socket.
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client.disconnect();
    } else {
      this.client.packet({ type: PacketType.DISCONNECT, nsp: this.nsp.name }, {});
      this.onclose("server namespace disconnect");
    }
    return this;
  }

  /** The details `fetchSockets()` reports. */
  describe(): SocketDetails {
    return { id: this.id, handshake: this.handshake, rooms: [...this.rooms], data: this.data };
  }

  /** Delivers a broadcast packet already encoded (adapter-internal). */
  deliver(packet: Packet, frames: readonly unknown[], flags: BroadcastFlags): void {
    this.#notifyOutgoing(packet.data as unknown[]);
    this.client.writeFrames(frames, flags);
  }

  /** Registers the ack of a broadcast (adapter-internal). */
  registerAck(id: number, callback: (...args: unknown[]) => void): void {
    this.#acks.set(id, callback);
  }

  /** Marks the socket connected and answers the client's CONNECT (namespace-internal). */
  onconnect(): void {
    this.connected = true;
    this.join(this.id);
    if (this.client.protocol === 3) {
      this.client.packet({ type: PacketType.CONNECT, nsp: this.nsp.name }, {});
    } else {
      const data: Record<string, string> = { sid: this.id };
      if (this.pid !== undefined) data.pid = this.pid;
      this.client.packet({ type: PacketType.CONNECT, nsp: this.nsp.name, data }, {});
    }
  }

  /** Handles a packet for this namespace (client-internal). */
  onpacket(packet: Packet): void {
    if (!this.connected) return;
    switch (packet.type) {
      case PacketType.EVENT:
        this.#onevent(packet);
        break;
      case PacketType.ACK:
        this.#onack(packet);
        break;
      case PacketType.DISCONNECT:
        this.onclose("client namespace disconnect");
        break;
    }
  }

  /** Ends the socket (client- and namespace-internal). */
  onclose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.emitReserved("disconnecting", reason, description);
    const recovery = this.nsp.server.options.connectionStateRecovery;
    if (recovery && this.pid !== undefined && RECOVERABLE.has(reason)) {
      this.nsp.adapter.persistSession({
        sid: this.id,
        pid: this.pid,
        rooms: [...this.rooms],
        data: this.data,
        connectedAtOffset: this.connectedAtOffset,
      });
    }
    for (const ack of this.#acks.values()) ack.cancel?.();
    this.#acks.clear();
    this.nsp.adapter.delAll(this.id);
    this.nsp.remove(this);
    this.client.remove(this);
    this.connected = false;
    this.emitReserved("disconnect", reason, description);
  }

  /** Sends a CONNECT_ERROR for a refused connection (namespace-internal). */
  refuse(error: Error & { data?: unknown }): void {
    const data = this.client.protocol === 3
      ? error.message
      : error.data === undefined
      ? { message: error.message }
      : { message: error.message, data: error.data };
    this.client.packet({ type: PacketType.CONNECT_ERROR, nsp: this.nsp.name, data }, {});
  }

  /** Emits a local event to this socket's own listeners. */
  override emitReserved<E extends keyof SocketReservedEvents>(
    event: E,
    ...args: Parameters<SocketReservedEvents[E]>
  ): boolean {
    return super.emitReserved(event, ...args);
  }

  #onevent(packet: Packet): void {
    // `42` (no arguments, so no event name) decodes; socket.io ignores it.
    if (!Array.isArray(packet.data)) return;
    const args = [...packet.data];
    if (packet.id !== undefined) args.push(this.#ack(packet.id));
    for (const listener of this.#anyListeners) listener.apply(this, args as [string, ...unknown[]]);
    this.#run(args, (error) => {
      if (error) {
        if (this.listenerCount("error") > 0) this.emitReserved("error", error);
        return;
      }
      if (this.connected) userCode(() => this.emitUntyped(String(args[0]), ...args.slice(1)));
    });
  }

  #run(event: unknown[], done: (error?: Error) => void): void {
    const fns = this.#fns;
    let i = 0;
    const next = (error?: Error): void => {
      if (error) return done(error);
      const fn = fns[i++];
      if (!fn) return done();
      fn(event, next);
    };
    next();
  }

  #ack(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.client.packet({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args }, {});
    };
  }

  #onack(packet: Packet): void {
    const ack = this.#acks.get(packet.id!);
    if (typeof ack !== "function") return;
    this.#acks.delete(packet.id!);
    const args = packet.data as unknown[];
    userCode(() => (ack.withError ? ack.call(this, null, ...args) : ack.apply(this, args)));
  }

  #registerAck(id: number, ack: Ack, timeout: number | undefined): void {
    if (timeout === undefined) {
      this.#acks.set(id, ack);
      return;
    }
    const timers = this.client.timers;
    const timer = timers.setTimeout(() => {
      this.#acks.delete(id);
      ack.call(this, new AckTimeoutError());
    }, timeout);
    const wrapped: Ack = (...args: unknown[]) => {
      timers.clearTimeout(timer);
      ack.apply(this, args);
    };
    wrapped.withError = true;
    wrapped.cancel = () => timers.clearTimeout(timer);
    this.#acks.set(id, wrapped);
  }

  #notifyOutgoing(data: unknown[]): void {
    for (const listener of this.#anyOutgoingListeners) {
      listener.apply(this, data as [string, ...unknown[]]);
    }
  }

  #operator(): SocketOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<
      DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
      SocketData
    >(this.nsp, new Set(), new Set([this.id]), {});
  }

  #takeFlags(): BroadcastFlags {
    const flags = this.#flags;
    this.#flags = {};
    return flags;
  }
}

// A listener that throws is a bug in the application, not bad input from the client: it must not
// pass for a decoding error and close the connection. It is rethrown outside the packet's call
// stack, as socket.io's deferred dispatch leaves it: an uncaught error the runtime reports.
function userCode(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
