/**
 * A namespace: its sockets, its middlewares, its adapter, and broadcasts to its sockets.
 *
 * @module
 */

import type { Adapter } from "../adapter/adapter.ts";
import type { AdapterNamespace, Room } from "../adapter/types.ts";
import { encodeFrames, type EventsMap, type Packet } from "../parser/mod.ts";
import { BroadcastOperator, type RemoteSocket } from "./broadcast_operator.ts";
import type { Client } from "./client.ts";
import type { Timers } from "./engine/options.ts";
import type { Server } from "./io_server.ts";
import { Socket, type SocketOperator } from "./socket.ts";
import { StrictEventEmitter } from "./strict_event_emitter.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  FirstNonErrorArg,
  Last,
} from "./typed_events.ts";

/** A connection middleware: calls `next()` to admit the socket or `next(error)` to refuse it. */
export type Middleware<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> = (
  socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  next: (error?: Error & { data?: unknown }) => void,
) => void | Promise<void>;

// Names other servers may not send (socket.io's list): the main namespace's own events.
const SERVER_RESERVED: ReadonlySet<string> = new Set(["connect", "connection", "new_namespace"]);

function checkServerSideEvent(ev: unknown): void {
  if (SERVER_RESERVED.has(String(ev))) throw new Error(`"${String(ev)}" is a reserved event name`);
}

/** The reserved events of a namespace: a socket connected (`connect` first, then `connection`). */
export type NamespaceReservedEvents<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> = {
  /** A socket connected (before `connection`). */
  connect: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  /** A socket connected. */
  connection: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
};

/**
 * A namespace. `io.of("/admin")` makes or finds one; `io.sockets` is the main one (`/`).
 * `on` listens to the reserved events (`connect`, `connection`) and to the events other servers
 * of the cluster send with `serverSideEmit`.
 *
 * @typeParam ListenEvents The events clients send.
 * @typeParam EmitEvents The events sent to clients.
 * @typeParam ServerSideEvents The events servers of a cluster send each other.
 * @typeParam SocketData The type of each socket's `data`.
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
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends StrictEventEmitter<
  ServerSideEvents,
  NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
> implements AdapterNamespace {
  /** The namespace name. */
  readonly name: string;
  /** The server. */
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connected sockets of this namespace on this server, by id. */
  readonly sockets: Map<string, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> =
    new Map();
  /** The adapter. */
  readonly adapter: Adapter;
  #fns: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
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
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
    options: {
      adapter?: (
        nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ) => Adapter;
    } = {},
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
    // A reserved name from another server is dropped, as socket.io refuses to send one.
    if (SERVER_RESERVED.has(String(event))) return;
    this.emitUntyped(String(event), ...rest);
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
  use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.#fns.push(fn);
    return this;
  }

  /** Targets rooms. */
  to(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Alias of {@linkcode Namespace.to}. */
  in(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Leaves out the sockets of rooms. */
  except(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  /** Only this server's sockets. */
  get local(): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /** The packet may be dropped for clients not ready to receive it. */
  get volatile(): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().volatile;
  }

  /** Sets whether the packet may be compressed. */
  compress(compress: boolean): SocketOperator<EmitEvents, SocketData> {
    return this.#operator().compress(compress);
  }

  /**
   * Gives acks `ms` milliseconds; the ack then gets `(err, responses)`.
   *
   * @param ms Milliseconds.
   * @returns A broadcast operator.
   */
  timeout(
    ms: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.#operator().timeout(ms);
  }

  /**
   * Sends an event to every socket of the namespace (events with an ack need `timeout()`).
   *
   * @param ev The event name.
   * @param args The arguments.
   * @returns `true`.
   */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.#untyped().emit(ev as string, ...(args as unknown[]));
  }

  /**
   * Sends an event to every socket and resolves with their answers.
   *
   * @param ev The event name.
   * @param args The arguments, the ack callback left out.
   * @returns Every socket's answer.
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>[]> {
    return this.#untyped().emitWithAck(ev as string, ...(args as unknown[])) as Promise<
      FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>[]
    >;
  }

  /** Sends a `message` event to every socket. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.#untyped().emit("message", ...(args as unknown[]));
    return this;
  }

  /** Alias of {@linkcode Namespace.send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** The sockets of the namespace. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.#operator().fetchSockets();
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
   * @param ev The event name.
   * @param args The arguments.
   * @returns `true`.
   * @throws {Error} When the name is reserved (`connect`, `connection`, `new_namespace`).
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    checkServerSideEvent(ev);
    this.adapter.serverSideEmit([ev, ...(args as unknown[])]);
    return true;
  }

  /**
   * Sends an event to the other servers of the cluster and resolves with their answers (none
   * when this server is alone).
   *
   * @param ev The event name.
   * @param args The arguments, without the ack.
   * @returns Every other server's answer; rejects when the name is reserved.
   */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return new Promise((resolve, reject) => {
      checkServerSideEvent(ev);
      this.adapter.serverSideEmit([
        ev,
        ...(args as unknown[]),
        (error: Error | null, responses: unknown[]) =>
          error
            ? reject(error)
            : resolve(responses as FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]),
      ]);
    });
  }

  /** Emits a local event to this namespace's own listeners. */
  override emitReserved<
    Ev extends EventNames<
      NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
    >,
  >(
    ev: Ev,
    ...args: EventParams<
      NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      Ev
    >
  ): boolean {
    return super.emitReserved(ev, ...args);
  }

  /**
   * Admits a client (client-internal): restores its session when it presents a recoverable one,
   * runs the middlewares, then connects the socket.
   */
  async add(
    client: Client,
    auth: Record<string, unknown>,
    onJoined: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
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
    // A lazily connecting adapter connects first (bounded by its own timeout), so broadcasts
    // sent after the client hears "connect" reach it.
    await this.adapter.ready();
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
    this.announce(socket);
  }

  /**
   * Hands a connected socket to the `connect` and `connection` listeners, in socket.io's order
   * (client-internal; a Durable Object waking from hibernation calls it again for the sockets it
   * restores). `io.on` listeners are the main namespace's. The client is connected by now, so
   * a listener's own error must not turn into a CONNECT_ERROR: it is rethrown on its own.
   */
  announce(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    try {
      this.emitReserved("connect", socket);
      this.emitReserved("connection", socket);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** Forgets a socket that left (socket-internal). */
  remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.sockets.delete(socket.id);
  }

  async #runMiddlewares(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ): Promise<(Error & { data?: unknown }) | undefined> {
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

  #operator(): SocketOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<
      DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
      SocketData
    >(this);
  }

  // The same operator, its events unchecked: for the typed methods that pass their arguments on.
  #untyped(): BroadcastOperator {
    return new BroadcastOperator(this);
  }
}
