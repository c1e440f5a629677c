/**
 * The Socket.IO server: `new Server()`, a fetch handler over the Engine.IO server, namespaces
 * (static, and dynamic through parent namespaces), and broadcasts through the main namespace.
 *
 * @module
 */

import { Adapter } from "../adapter/adapter.ts";
import type { AdapterNamespace, Room } from "../adapter/types.ts";
import { Emitter, type PacketEncoder } from "../parser/mod.ts";
import type { BroadcastOperator, RemoteSocket } from "./broadcast_operator.ts";
import { Client } from "./client.ts";
import { type ConnectionInfo, EngineServer } from "./engine/server.ts";
import { type Middleware, Namespace } from "./namespace.ts";
import { type NamespaceMatcher, ParentNamespace } from "./parent_namespace.ts";
import { type ResolvedSocketOptions, resolveServerOptions, type ServerOptions } from "./options.ts";
import type { Socket } from "./socket.ts";

/** An adapter class, as socket.io's `adapter` option takes one. */
export type AdapterClass = new (nsp: AdapterNamespace) => Adapter;

/** Options of `new Server()`: Socket.IO, Engine.IO, and the adapter. */
export interface IoServerOptions extends ServerOptions {
  /**
   * The adapter class, one instance per namespace.
   * @default {the in-memory Adapter}
   */
  adapter?: AdapterClass;
}

/** The server's own events. */
export type ServerEvents = {
  /** A socket connected to the main namespace. */
  connection: (socket: Socket) => void;
  /** A namespace was made. */
  new_namespace: (nsp: Namespace) => void;
};

/**
 * A Socket.IO server behind a Web-standard fetch handler.
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
export class Server extends Emitter<ServerEvents> {
  /** The Engine.IO server underneath. */
  readonly engine: EngineServer;
  /** The Socket.IO options in force. */
  readonly options: ResolvedSocketOptions;
  /** The encoder of the chosen parser, shared by every namespace. */
  readonly encoder: PacketEncoder;
  /** The adapter class. */
  readonly adapterClass: AdapterClass;
  /** The main namespace (`/`). */
  readonly sockets: Namespace;
  readonly #nsps = new Map<string, Namespace>();
  readonly #parents: ParentNamespace[] = [];

  /**
   * Makes a server. Nothing starts here: no I/O, no timers.
   *
   * @param options Socket.IO and Engine.IO options, as socket.io takes them.
   * @throws {RangeError} On invalid options.
   */
  constructor(options: IoServerOptions = {}) {
    super();
    const { adapter, ...rest } = options;
    const { socket, engine } = resolveServerOptions(rest);
    this.options = socket;
    this.adapterClass = adapter ?? Adapter;
    this.encoder = new socket.parser.Encoder();
    this.engine = new EngineServer(engine);
    this.engine.on("connection", (session) => new Client(this, session));
    this.sockets = this.of("/");
  }

  /**
   * Answers a request: Socket.IO traffic under the path, `404` elsewhere.
   *
   * @param request The request.
   * @param info Connection details from the runtime.
   * @returns The response.
   */
  fetch = (request: Request, info?: ConnectionInfo): Promise<Response> =>
    this.engine.fetch(request, info);

  /**
   * A fetch handler that hands requests outside the Socket.IO path to `fallback`.
   *
   * @param fallback Answers other requests.
   * @returns The handler.
   */
  handler(
    fallback?: (request: Request, info?: ConnectionInfo) => Response | Promise<Response>,
  ): (request: Request, info?: ConnectionInfo) => Promise<Response> {
    return this.engine.handler(fallback);
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
  of(name: string, fn?: (socket: Socket) => void): Namespace;
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
  of(name: RegExp | NamespaceMatcher, fn?: (socket: Socket) => void): ParentNamespace;
  of(name: string | RegExp | NamespaceMatcher, fn?: (socket: Socket) => void): Namespace {
    if (typeof name !== "string") {
      const parent = new ParentNamespace(this, { matcher: name, namespaces: this.#nsps });
      this.#parents.push(parent);
      if (fn) parent.on("connection", fn);
      return parent;
    }
    const key = name.startsWith("/") ? name : `/${name}`;
    let nsp = this.#nsps.get(key) ?? this.#parents.find((p) => p.matches(key))?.createChild(key);
    if (!nsp) {
      nsp = new Namespace(this, key);
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
  ): Promise<Namespace | undefined> {
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
  emitReserved<E extends keyof ServerEvents>(
    event: E,
    ...args: Parameters<ServerEvents[E]>
  ): boolean {
    return super.emit(event, ...args);
  }

  /** Adds a connection middleware to the main namespace. */
  use(fn: Middleware): this {
    this.sockets.use(fn);
    return this;
  }

  /** Targets rooms of the main namespace. */
  to(room: Room | Room[]): BroadcastOperator {
    return this.sockets.to(room);
  }

  /** Alias of {@linkcode Server.to}. */
  in(room: Room | Room[]): BroadcastOperator {
    return this.sockets.in(room);
  }

  /** Leaves out the sockets of rooms. */
  except(room: Room | Room[]): BroadcastOperator {
    return this.sockets.except(room);
  }

  /** Only this server's sockets. */
  get local(): BroadcastOperator {
    return this.sockets.local;
  }

  /** The packet may be dropped for clients not ready to receive it. */
  get volatile(): BroadcastOperator {
    return this.sockets.volatile;
  }

  /** Sets whether the packet may be compressed. */
  compress(compress: boolean): BroadcastOperator {
    return this.sockets.compress(compress);
  }

  /** Gives acks `ms` milliseconds. */
  timeout(ms: number): BroadcastOperator {
    return this.sockets.timeout(ms);
  }

  /**
   * Sends an event to every socket of the main namespace.
   *
   * @param event The event name.
   * @param args The arguments; a function last collects the acks.
   * @returns `true`.
   */
  override emit(event: string, ...args: unknown[]): boolean {
    return this.sockets.emit(event, ...args);
  }

  /** Sends an event to every socket and resolves with their answers. */
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.emitWithAck(event, ...args);
  }

  /** Sends a `message` event to every socket of the main namespace. */
  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }

  /** The sockets of the main namespace. */
  fetchSockets(): Promise<RemoteSocket[]> {
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

  /** Sends an event to the other servers of the cluster. */
  serverSideEmit(event: string, ...args: unknown[]): boolean {
    return this.sockets.serverSideEmit(event, ...args);
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
