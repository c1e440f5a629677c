/**
 * Dynamic namespaces: a parent namespace, made by `io.of(regex)` or `io.of(fn)`, makes a child
 * namespace for each accepted name a client asks for, hands it its middlewares and connection
 * listeners, and broadcasts to all of its children.
 *
 * @module
 */

import { Adapter } from "../adapter/adapter.ts";
import type {
  AdapterNamespace,
  BroadcastOptions,
  Room,
  SocketDetails,
  SocketId,
} from "../adapter/types.ts";
import type { Packet } from "../parser/mod.ts";
import type { Client } from "./client.ts";
import type { Server } from "./io_server.ts";
import { type Middleware, Namespace } from "./namespace.ts";
import type { Socket } from "./socket.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";

/**
 * Decides whether a namespace a client asks for may be made, by calling `next(null, true)`; it
 * may take its time, and `next(error)` or `next(null, false)` refuses.
 *
 * @example
 * ```ts
 * import type { NamespaceMatcher } from "@edgeio/edgeio/server";
 *
 * const tenants: NamespaceMatcher = (name, auth, next) => {
 *   next(null, name.startsWith("/tenant-") && typeof auth.token === "string");
 * };
 * ```
 */
export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (error: Error | null, allow?: boolean) => void,
) => void;

/**
 * The parent of the namespaces a regular expression or a {@linkcode NamespaceMatcher} accepts.
 * Its own `sockets` stay empty: its middlewares and `connection` listeners apply to every child,
 * present and future, and its broadcasts (`emit`, `to`, `except`, `fetchSockets`,
 * `socketsJoin`, `disconnectSockets`…) reach every child, one broadcast per child adapter.
 *
 * @typeParam ListenEvents The events clients send.
 * @typeParam EmitEvents The events sent to clients.
 * @typeParam ServerSideEvents The events servers of a cluster send each other.
 * @typeParam SocketData The type of each socket's `data`.
 *
 * @example
 * ```ts
 * import { ParentNamespace, Server } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const io = new Server();
 * const workspaces = io.of(/^\/workspace-\d+$/);
 * assert.ok(workspaces instanceof ParentNamespace);
 * workspaces.use((socket, next) => (socket.handshake.auth.token ? next() : next(new Error("no token"))));
 * workspaces.on("connection", (socket) => socket.emit("welcome", socket.nsp.name));
 * const child = io.of("/workspace-7"); // made by the parent, as a client asking for it would
 * assert.ok(workspaces.children.has(child));
 * workspaces.emit("notice", "maintenance at noon"); // reaches every workspace
 * await io.close();
 * ```
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** How many parent namespaces were made; each is named `/_<count>` after it. */
  static count = 0;
  /** The namespaces this parent made and that still exist. */
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
  readonly #matcher: RegExp | NamespaceMatcher;
  readonly #namespaces: Map<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >;
  readonly #fns: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];

  /**
   * Made by `io.of(regex)` or `io.of(fn)`.
   *
   * @param server The server.
   * @param options `matcher`, what the children's names must match; `namespaces`, the server's
   * namespaces by name, where children are registered and, once empty with
   * `cleanupEmptyChildNamespaces`, removed.
   * @throws {TypeError} On a regular expression with the `g` or `y` flag (they keep state).
   */
  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    options: {
      matcher: RegExp | NamespaceMatcher;
      namespaces: Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
    },
  ) {
    const { matcher, namespaces } = options;
    if (matcher instanceof RegExp && (matcher.global || matcher.sticky)) {
      throw new TypeError(
        `Cannot create parent namespace: stateful regular expressions are not supported, got ${matcher}`,
      );
    }
    const children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
    super(server, `/_${ParentNamespace.count++}`, {
      adapter: (nsp) => new ParentAdapter(nsp, children),
    });
    this.children = children;
    this.#matcher = matcher;
    this.#namespaces = namespaces;
  }

  /**
   * Whether this is a regular expression parent and `name` matches it (server-internal: such a
   * parent makes the child when `io.of(name)` is called).
   *
   * @param name A namespace name.
   * @returns Whether it matches.
   */
  matches(name: string): boolean {
    return this.#matcher instanceof RegExp && this.#matcher.test(name);
  }

  /**
   * Asks the regular expression or the matcher whether a client may have `name` made
   * (server-internal). A matcher that throws, or answers with an error, refuses.
   *
   * @param name The namespace name.
   * @param auth The auth payload of the client's CONNECT.
   * @returns Whether the name is accepted.
   */
  accepts(name: string, auth: Record<string, unknown>): Promise<boolean> {
    const matcher = this.#matcher;
    if (matcher instanceof RegExp) return Promise.resolve(matcher.test(name));
    return new Promise((resolve) => {
      try {
        matcher(name, auth, (error, allow) => resolve(!error && Boolean(allow)));
      } catch {
        resolve(false);
      }
    });
  }

  /**
   * Adds a connection middleware to every child, present and future.
   *
   * @param fn The middleware.
   * @returns This parent.
   */
  override use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.#fns.push(fn);
    for (const child of this.children) child.use(fn);
    return this;
  }

  /**
   * Makes a child namespace (server-internal): with this parent's middlewares and `connection`
   * and `connect` listeners, registered on the server, announced with `new_namespace`.
   *
   * @param name The child's name.
   * @returns The child.
   */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const cleanup = this.server.options.cleanupEmptyChildNamespaces;
    const child = new ChildNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
      this.server,
      name,
      cleanup ? () => this.#drop(child) : null,
    );
    for (const fn of this.#fns) child.use(fn);
    // Forwarded, not copied, so listeners added to the parent later reach existing children too.
    child.on("connect", (socket) => this.emitReserved("connect", socket));
    child.on("connection", (socket) => this.emitReserved("connection", socket));
    this.children.add(child);
    this.#namespaces.set(name, child);
    this.server.emitReserved("new_namespace", child);
    return child;
  }

  #drop(child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (!this.children.delete(child)) return;
    if (this.#namespaces.get(child.name) === child) this.#namespaces.delete(child.name);
    void child.adapter.close();
  }
}

// A child that calls `onEmpty` once it holds no socket and admits none, so a refused first
// client also leaves no namespace behind (as in socket.io).
class ChildNamespace<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly #onEmpty: (() => void) | null;
  #pending = 0;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
    onEmpty: (() => void) | null,
  ) {
    super(server, name);
    this.#onEmpty = onEmpty;
  }

  override async add(
    client: Client,
    auth: Record<string, unknown>,
    onJoined: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Promise<void> {
    this.#pending++;
    try {
      await super.add(client, auth, onJoined);
    } finally {
      this.#pending--;
      this.#checkEmpty();
    }
  }

  override remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    super.remove(socket);
    this.#checkEmpty();
  }

  #checkEmpty(): void {
    if (this.sockets.size === 0 && this.#pending === 0) this.#onEmpty?.();
  }
}

// The adapter of a parent: it holds no socket and hands every operation to the children's
// adapters. A copy of the packet goes to each, since an adapter sets its `nsp` and ack `id`.
class ParentAdapter extends Adapter {
  readonly #children: ReadonlySet<{ readonly adapter: Adapter }>;

  constructor(nsp: AdapterNamespace, children: ReadonlySet<{ readonly adapter: Adapter }>) {
    super(nsp);
    this.#children = children;
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of [...this.#children]) child.adapter.broadcast(copy(packet), opts);
  }

  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const children = [...this.#children];
    if (children.length === 0) return clientCountCallback(0);
    // The total is only reported once every child has counted, so no ack finishes early.
    const counts = new Map<{ readonly adapter: Adapter }, number>();
    for (const child of children) {
      child.adapter.broadcastWithAck(copy(packet), opts, (count) => {
        counts.set(child, count);
        if (counts.size < children.length) return;
        let total = 0;
        for (const n of counts.values()) total += n;
        clientCountCallback(total);
      }, ack);
    }
  }

  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const all = await Promise.all([...this.#children].map((child) => child.adapter.sockets(rooms)));
    return new Set(all.flatMap((ids) => [...ids]));
  }

  override socketRooms(id: SocketId): Set<Room> | undefined {
    for (const child of this.#children) {
      const rooms = child.adapter.socketRooms(id);
      if (rooms) return rooms;
    }
    return undefined;
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const all = await Promise.all(
      [...this.#children].map((child) => child.adapter.fetchSockets(opts)),
    );
    return all.flat();
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of [...this.#children]) child.adapter.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of [...this.#children]) child.adapter.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of [...this.#children]) child.adapter.disconnectSockets(opts, close);
  }
}

const copy = (packet: Packet): Packet => ({
  ...packet,
  data: Array.isArray(packet.data) ? [...packet.data] : packet.data,
});
