/**
 * The Socket.IO server: `new Server()`, a fetch handler over the Engine.IO server, namespaces
 * (static, and dynamic through parent namespaces), and broadcasts through the main namespace.
 *
 * @module
 */

import { Adapter } from "../adapter/adapter.ts";
import type { AdapterNamespace, Room } from "../adapter/types.ts";
import type { EventsMap, PacketEncoder } from "../parser/mod.ts";
import type { BroadcastOperator, RemoteSocket } from "./broadcast_operator.ts";
import { Client } from "./client.ts";
import { type ParserBinary, parserBinary } from "./parser_binary.ts";
import { type ConnectionInfo, EngineServer } from "./engine/server.ts";
import type { SessionForwarding } from "./engine/options.ts";
import {
  canForward,
  type ForwardingAdapter,
  requestFromData,
  requestToData,
  responseFromData,
  responseToData,
} from "./_forward.ts";
import { answerRelay, relayUpgrade } from "./_ws_relay.ts";
import { type Middleware, Namespace } from "./namespace.ts";
import { type NamespaceMatcher, ParentNamespace } from "./parent_namespace.ts";
import { type ResolvedSocketOptions, resolveServerOptions, type ServerOptions } from "./options.ts";
import { serveClientFile } from "./serve_client.ts";
import type { Socket, SocketOperator } from "./socket.ts";
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
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "./typed_events.ts";

/** An adapter class, as socket.io's `adapter` option takes one. */
export type AdapterClass = new (nsp: AdapterNamespace) => Adapter;

/** Options of `new Server()`: Socket.IO, Engine.IO, and the adapter. */
export interface IoServerOptions extends ServerOptions {
  /**
   * The adapter class, one instance per namespace.
   * @default {the in-memory Adapter}
   */
  adapter?: AdapterClass;
  /**
   * Serves polling clients without sticky sessions (Deno Deploy, `deno serve --parallel`): the
   * session ids name the adapter's `uid`, and a polling request that reaches a server which does
   * not hold its session is forwarded through the adapter to the server that does, and answered
   * with that server's response. A WebSocket upgrade that reaches another server is asked of
   * the owner (which answers its refusals as it would directly); once accepted, this server
   * upgrades the connection and relays its frames to and from the owner through the adapter.
   * Needs a cluster adapter (`ClusterAdapter` or a subclass such as the Upstash adapter).
   * @default {false}
   */
  forwardRequests?: boolean;
}

// How much longer than a parked long poll (answered within pingInterval) a forwarded request
// may take before the client gets code 1.
const FORWARD_MARGIN = 5000;

/** The server's own events. */
export type ServerEvents<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> = {
  /** A socket connected to the main namespace (before `connection`). */
  connect: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  /** A socket connected to the main namespace. */
  connection: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  /** A namespace was made. */
  new_namespace: (
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ) => void;
};

/**
 * A Socket.IO server behind a Web-standard fetch handler.
 *
 * @typeParam ListenEvents The events clients send (what `socket.on` listens to).
 * @typeParam EmitEvents The events sent to clients (what `emit` sends).
 * @typeParam ServerSideEvents The events servers of a cluster send each other.
 * @typeParam SocketData The type of each socket's `data`.
 *
 * @example A chat server on Deno
 * ```ts ignore
 * import { Server } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 *
 * const io = new Server({ upgradeWebSocket });
 * io.on("connection", (socket) => {
 *   socket.on("chat", (text) => io.emit("chat", text));
 * });
 * Deno.serve(io.fetch);
 * ```
 *
 * @example In process
 * ```ts
 * import { Server } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const io = new Server();
 * const response = await io.fetch(new Request("http://localhost/socket.io/?EIO=4&transport=polling"));
 * assert.equal((await response.text())[0], "0");
 * await io.close();
 * ```
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends StrictEventEmitter<
  ServerSideEvents,
  ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
> {
  /** The Engine.IO server underneath. */
  readonly engine: EngineServer;
  /** The Socket.IO options in force. */
  readonly options: ResolvedSocketOptions;
  /** The encoder of the chosen parser, shared by every namespace. */
  readonly encoder: PacketEncoder;
  /** Turns received binary frames into what the parser's decoder reads. */
  readonly parserBinary: ParserBinary;
  /** The adapter class. */
  readonly adapterClass: AdapterClass;
  /** The main namespace (`/`). */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly #nsps = new Map<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  readonly #parents: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];

  /**
   * Makes a server. Nothing starts here: no I/O, no timers.
   *
   * @param options Socket.IO and Engine.IO options, as socket.io takes them.
   * @throws {RangeError} On invalid options.
   */
  constructor(options: IoServerOptions = {}) {
    super();
    const { adapter, forwardRequests, ...rest } = options;
    const { socket, engine } = resolveServerOptions(rest);
    this.options = socket;
    this.adapterClass = adapter ?? Adapter;
    this.encoder = new socket.parser.Encoder();
    this.parserBinary = parserBinary(socket.parser);
    const forward: SessionForwarding | undefined = forwardRequests
      ? {
        self: async () => {
          const adapter = this.#forwarder();
          await (adapter.readyToForward ?? adapter.ready)?.call(adapter);
          return adapter.uid;
        },
        forward: (owner, request) => this.#forward(owner, request),
        relay: (owner, request, upgrade) =>
          relayUpgrade(
            this.#forwarder(),
            owner,
            request,
            upgrade,
            this.#forwardTimeout(),
            this.engine.options.maxHttpBufferSize,
          ),
      }
      : undefined;
    this.engine = new EngineServer(forward ? { ...engine, forward } : engine);
    this.engine.on("connection", (session) => new Client(this, session));
    this.sockets = this.of("/");
    if (forward) {
      const adapter = this.sockets.adapter;
      if (!canForward(adapter)) {
        throw new TypeError(
          "Cannot create server: forwardRequests needs a cluster adapter (a ClusterAdapter)",
        );
      }
      adapter.onForwardedRequest = async (data) =>
        await responseToData(await this.engine.fetchForwarded(requestFromData(data)));
      adapter.onRelayRequest = (data, link) => answerRelay(this.engine, data, link);
    }
  }

  #forwarder(): ForwardingAdapter {
    return this.sockets.adapter as unknown as ForwardingAdapter;
  }

  async #forward(owner: string, request: Request): Promise<Response> {
    const data = await requestToData(request, this.engine.options.maxHttpBufferSize);
    const answer = await this.#forwarder().forwardRequest(owner, data, this.#forwardTimeout());
    return responseFromData(answer);
  }

  #forwardTimeout(): number {
    return this.engine.options.pingInterval + FORWARD_MARGIN;
  }

  /**
   * Answers a request: the client bundle (`<path>/socket.io.js` and its siblings, unless
   * `serveClient` is `false`), Socket.IO traffic under the path, `404` elsewhere.
   *
   * @param request The request.
   * @param info Connection details from the runtime.
   * @returns The response.
   */
  fetch = (request: Request, info?: ConnectionInfo): Promise<Response> =>
    this.#clientFile(request) ?? this.engine.fetch(request, info);

  /**
   * A fetch handler that hands requests outside the Socket.IO path to `fallback`.
   *
   * @param fallback Answers other requests.
   * @returns The handler.
   */
  handler(
    fallback?: (request: Request, info?: ConnectionInfo) => Response | Promise<Response>,
  ): (request: Request, info?: ConnectionInfo) => Promise<Response> {
    const engine = this.engine.handler(fallback);
    return (request, info) => this.#clientFile(request) ?? engine(request, info);
  }

  #clientFile(request: Request): Promise<Response> | undefined {
    if (!this.options.serveClient) return undefined;
    return serveClientFile(request, { path: this.options.path, cors: this.engine.options.cors });
  }

  /**
   * Finds or makes a namespace. A name no namespace has yet but a regular expression parent
   * matches (see the other overload) makes a child of that parent.
   *
   * @param name The name (a leading `/` is added when missing).
   * @param fn A `connection` listener to add.
   * @returns The namespace.
   *
   * @example
   * ```ts
   * import { Server } from "@edgeio/edgeio/server";
   * import assert from "node:assert/strict";
   *
   * const io = new Server();
   * const admin = io.of("/admin", (socket) => socket.emit("hello admin"));
   * assert.equal(io.of("admin"), admin);
   * await io.close();
   * ```
   */
  of(
    name: string,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /**
   * Makes a parent namespace. A client asking for a namespace that does not exist gets a child
   * of the first parent that accepts its name, parents being asked in the order they were made.
   *
   * @param name A regular expression the name must match, or a matcher that decides.
   * @param fn A `connection` listener to add, for the sockets of every child.
   * @returns The parent.
   * @throws {TypeError} On a regular expression with the `g` or `y` flag (they keep state).
   *
   * @example
   * ```ts
   * import { Server } from "@edgeio/edgeio/server";
   *
   * const io = new Server();
   * io.of(/^\/room-\d+$/).on("connection", (socket) => socket.emit("in", socket.nsp.name));
   * io.of((name, auth, next) => next(null, name.startsWith("/user-") && auth.token === "t"));
   * await io.close();
   * ```
   */
  of(
    name: RegExp | NamespaceMatcher,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  of(
    name: string | RegExp | NamespaceMatcher,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name !== "string") {
      const parent = new ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
        this,
        { matcher: name, namespaces: this.#nsps },
      );
      this.#parents.push(parent);
      if (fn) parent.on("connection", fn);
      return parent;
    }
    const key = name.startsWith("/") ? name : `/${name}`;
    let nsp = this.#nsps.get(key) ?? this.#parents.find((p) => p.matches(key))?.createChild(key);
    if (!nsp) {
      nsp = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, key);
      this.#nsps.set(key, nsp);
      if (key !== "/") this.emitReserved("new_namespace", nsp);
    }
    if (fn) nsp.on("connection", fn);
    return nsp;
  }

  /**
   * The namespace a client asks for (client-internal): the one of that name, else a child of the
   * first parent that accepts the name, made once the answer comes if the client is still there.
   */
  async namespaceFor(
    name: string,
    auth: Record<string, unknown>,
    client: Client,
  ): Promise<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined> {
    for (const parent of this.#parents) {
      if (this.#nsps.has(name)) break;
      if (!(await parent.accepts(name, auth))) continue;
      if (client.conn.readyState !== "open") return undefined;
      // Another client may have made it while the matcher was deciding.
      return this.#nsps.get(name) ?? parent.createChild(name);
    }
    return this.#nsps.get(name);
  }

  /** Emits a server event (namespace-internal). */
  override emitReserved<
    Ev extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>,
  >(
    ev: Ev,
    ...args: EventParams<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, Ev>
  ): boolean {
    return super.emitReserved(ev, ...args);
  }

  // socket.io's io.on, io.off… are the main namespace's (its `connect`, `connection` and the
  // events other servers send), so listeners of both run in the order they were added and one
  // ack answers; only `new_namespace` is the server's own.
  #target(ev: unknown): boolean {
    return ev !== "new_namespace";
  }

  /**
   * Adds a listener: `new_namespace` on the server, anything else on the main namespace, as
   * socket.io does (`connection`, `connect`, and the events other servers send with
   * `serverSideEmit`).
   *
   * @param ev The event name.
   * @param listener Called on each occurrence.
   * @returns This server.
   */
  override on<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    if (!this.#target(ev)) return super.on(ev, listener as never);
    this.sockets.on(ev as never, listener as never);
    return this;
  }

  /** Alias of {@linkcode Server.on}. */
  override addListener<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    return this.on(ev, listener);
  }

  /**
   * Adds a listener called at most once (on the main namespace, as {@linkcode Server.on}).
   *
   * @param ev The event name.
   * @param listener Called on the next occurrence only.
   * @returns This server.
   */
  override once<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    if (!this.#target(ev)) return super.once(ev, listener as never);
    this.sockets.once(ev as never, listener as never);
    return this;
  }

  /**
   * Removes a listener (from the main namespace, as {@linkcode Server.on}).
   *
   * @param ev The event name.
   * @param listener The listener.
   * @returns This server.
   */
  override off<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    if (!this.#target(ev)) return super.off(ev, listener as never);
    this.sockets.off(ev as never, listener as never);
    return this;
  }

  /**
   * Removes the listeners of an event, or of every event (on the main namespace too).
   *
   * @param ev The event name.
   * @returns This server.
   */
  override removeAllListeners(
    ev?: ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  ): this {
    if (ev === undefined || !this.#target(ev)) super.removeAllListeners(ev);
    if (ev === undefined || this.#target(ev)) this.sockets.removeAllListeners(ev as never);
    return this;
  }

  /**
   * The listeners of an event (the main namespace's, as {@linkcode Server.on}).
   *
   * @param ev The event name.
   * @returns A copy of the list.
   */
  override listeners<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
  ): ReservedOrUserListener<
    ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    ServerSideEvents,
    Ev
  >[] {
    if (!this.#target(ev)) return super.listeners(ev);
    return this.sockets.listeners(ev as never) as never;
  }

  /**
   * How many listeners an event has (on the main namespace, as {@linkcode Server.on}).
   *
   * @param ev The event name.
   * @returns The count.
   */
  override listenerCount(
    ev: ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  ): number {
    if (!this.#target(ev)) return super.listenerCount(ev);
    return this.sockets.listenerCount(ev as never);
  }

  /** Adds a connection middleware to the main namespace. */
  use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  /** Targets rooms of the main namespace. */
  to(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  /** Alias of {@linkcode Server.to}. */
  in(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  /** Leaves out the sockets of rooms. */
  except(room: Room | Room[]): SocketOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Only this server's sockets. */
  get local(): SocketOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  /** The packet may be dropped for clients not ready to receive it. */
  get volatile(): SocketOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  /** Sets whether the packet may be compressed. */
  compress(compress: boolean): SocketOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
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
    return this.sockets.timeout(ms);
  }

  /**
   * Sends an event to every socket of the main namespace.
   *
   * @param ev The event name.
   * @param args The arguments (events with an ack need `timeout()`).
   * @returns `true`.
   */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.sockets.emit(ev, ...args);
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
    return this.sockets.emitWithAck(ev, ...args);
  }

  /** Sends a `message` event to every socket of the main namespace. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.sockets.send(...args);
    return this;
  }

  /** The sockets of the main namespace. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /** Makes every socket of the main namespace join rooms. */
  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Makes every socket of the main namespace leave rooms. */
  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnects every socket of the main namespace. */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  /**
   * Sends an event to the other servers of the cluster.
   *
   * @param ev The event name.
   * @param args The arguments; an ack callback last gets `(err, responses)`.
   * @returns `true`.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  /**
   * Sends an event to the other servers of the cluster and resolves with their answers.
   *
   * @param ev The event name.
   * @param args The arguments, without the ack.
   * @returns Every other server's answer (none when this server is alone).
   */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  /** Disconnects every socket (`server shutting down`), closes the engine and the adapters. */
  async close(): Promise<void> {
    for (const nsp of this.#nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) socket.onclose("server shutting down");
    }
    this.engine.close();
    await Promise.all([...this.#nsps.values()].map((nsp) => nsp.adapter.close()));
  }

  /** Closes the server (`await using io = new Server()`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
