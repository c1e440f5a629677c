/**
 * The in-memory adapter: rooms, broadcasts encoded once for every recipient, broadcast acks,
 * `fetchSockets` and the connection state recovery buffer of one namespace on one server.
 *
 * @module
 */

import { Emitter } from "../parser/emitter.ts";
import { type Packet, PacketType } from "../parser/socket_packet.ts";
import {
  checkArray,
  checkBroadcastOptions,
  checkFunction,
  checkMaxDisconnectionDuration,
  checkMaxLogSize,
  checkNamespace,
  checkSet,
  checkString,
} from "./_checks.ts";
import { Recovery } from "./_recovery.ts";
import type {
  AdapterNamespace,
  AdapterSocket,
  BroadcastOptions,
  PersistedSession,
  RestoredSession,
  Room,
  SocketDetails,
  SocketId,
} from "./types.ts";

/**
 * The events an {@linkcode Adapter} emits, as socket.io-adapter 2.5 emits them. A socket's
 * own-id room counts like any other room.
 *
 * @example Watching rooms come and go
 * ```ts
 * import { Adapter, type AdapterEvents, type AdapterNamespace } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const nsp: AdapterNamespace = {
 *   name: "/",
 *   sockets: new Map(),
 *   encode: (packet) => [JSON.stringify(packet)],
 *   onServerSideEmit() {},
 *   nextAckId: (() => { let id = 0; return () => id++; })(),
 *   connectionStateRecovery: false,
 * };
 * const adapter = new Adapter(nsp);
 * const seen: string[] = [];
 * const onJoin: AdapterEvents["join-room"] = (room, id) => seen.push(`${id} joined ${room}`);
 * adapter.on("create-room", (room) => seen.push(`created ${room}`));
 * adapter.on("join-room", onJoin);
 * adapter.on("delete-room", (room) => seen.push(`deleted ${room}`));
 * adapter.addAll("a", new Set(["lobby"]));
 * adapter.delAll("a");
 * assert.deepEqual(seen, ["created lobby", "a joined lobby", "deleted lobby"]);
 * ```
 */
export type AdapterEvents = {
  /** A room got its first member. */
  "create-room": (room: Room) => void;
  /** A room lost its last member. */
  "delete-room": (room: Room) => void;
  /** A socket joined a room. */
  "join-room": (room: Room, id: SocketId) => void;
  /** A socket left a room. */
  "leave-room": (room: Room, id: SocketId) => void;
  /**
   * A cluster adapter could not publish, or dropped a malformed message it received (the
   * in-memory adapter never emits it).
   */
  error: (error: Error) => void;
};

/**
 * Tuning of an {@linkcode Adapter}.
 *
 * @example A larger recovery log
 * ```ts
 * import { Adapter, type AdapterNamespace, type AdapterOptions } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const options: AdapterOptions = { maxLogSize: 50_000 };
 * const nsp: AdapterNamespace = {
 *   name: "/",
 *   sockets: new Map(),
 *   encode: (packet) => [JSON.stringify(packet)],
 *   onServerSideEmit() {},
 *   nextAckId: (() => { let id = 0; return () => id++; })(),
 *   connectionStateRecovery: { maxDisconnectionDuration: 120_000 },
 * };
 * const adapter = new Adapter(nsp, Date.now, options);
 * assert.equal(adapter.currentOffset(), undefined);
 * ```
 */
export interface AdapterOptions {
  /**
   * How many packets the recovery log keeps; the oldest go first, and a session that still
   * needed them can no longer be restored.
   *
   * @default {10000}
   */
  maxLogSize?: number;
  /**
   * Where connection state recovery keeps its log: `"memory"` here, or `"external"` when a
   * subclass keeps it in a shared store (it then overrides `persistSession`, `restoreSession`
   * and `currentOffset`, and appends offsets itself).
   *
   * @default {"memory"}
   */
  recoveryLog?: "memory" | "external";
}

const DEFAULT_OPTIONS: Readonly<Required<AdapterOptions>> = Object.freeze({
  maxLogSize: 10_000,
  recoveryLog: "memory",
});

/**
 * The in-memory adapter of a namespace (socket.io-adapter 2.5's `Adapter` with its
 * `SessionAwareAdapter` folded in): which sockets are in which rooms, broadcasts to them with
 * one encoding per packet, and, when the namespace has connection state recovery on, the log of
 * sent packets and the sessions of disconnected sockets. It never starts a timer: expired
 * sessions and packets go on the next broadcast, persist or restore.
 *
 * Cluster adapters extend it and override what must cross servers.
 *
 * @example Rooms and a broadcast encoded once
 * ```ts
 * import { Adapter, type AdapterNamespace, type AdapterSocket } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const sockets = new Map<string, AdapterSocket>();
 * let encodings = 0;
 * const nsp: AdapterNamespace = {
 *   name: "/",
 *   sockets,
 *   encode: (packet) => (encodings++, [JSON.stringify(packet.data)]),
 *   onServerSideEmit() {},
 *   nextAckId: (() => { let id = 0; return () => id++; })(),
 *   connectionStateRecovery: false,
 * };
 * const adapter = new Adapter(nsp);
 * const received: string[] = [];
 * for (const id of ["a", "b", "c"]) {
 *   sockets.set(id, {
 *     id,
 *     connected: true,
 *     deliver: (_packet, frames) => received.push(`${id} ${frames[0]}`),
 *     registerAck() {},
 *     join: (rooms) => adapter.addAll(id, new Set([rooms].flat())),
 *     leave: (room) => adapter.del(id, room),
 *     disconnect: () => adapter.delAll(id),
 *     describe: () => ({ id, handshake: {}, rooms: [...adapter.socketRooms(id)!], data: null }),
 *   });
 *   adapter.addAll(id, new Set([id]));
 * }
 * adapter.addAll("a", new Set(["news"]));
 * adapter.addAll("b", new Set(["news"]));
 *
 * adapter.broadcast({ type: 2, nsp: "/", data: ["hi"] }, {
 *   rooms: new Set(["news", "c"]),
 *   except: new Set(["b"]),
 * });
 * assert.deepEqual(received, ['a ["hi"]', 'c ["hi"]']);
 * assert.equal(encodings, 1);
 * assert.deepEqual(await adapter.sockets(new Set(["news"])), new Set(["a", "b"]));
 * ```
 *
 * @example Connection state recovery
 * ```ts
 * import { Adapter, type AdapterNamespace } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * let time = 0;
 * const nsp: AdapterNamespace = {
 *   name: "/",
 *   sockets: new Map(),
 *   encode: (packet) => [JSON.stringify(packet.data)],
 *   onServerSideEmit() {},
 *   nextAckId: (() => { let id = 0; return () => id++; })(),
 *   connectionStateRecovery: { maxDisconnectionDuration: 1000 },
 * };
 * const adapter = new Adapter(nsp, () => time);
 *
 * // A socket connects, remembers where the log stood, and drops before it gets any event.
 * adapter.addAll("s1", new Set(["s1", "news"]));
 * const connectedAtOffset = adapter.currentOffset();
 * const rooms = [...adapter.socketRooms("s1")!];
 * adapter.persistSession({ sid: "s1", pid: "p1", rooms, data: 7, connectedAtOffset });
 * adapter.delAll("s1");
 *
 * const news = { type: 2 as const, nsp: "/", data: ["news", "rain"] };
 * adapter.broadcast(news, { rooms: new Set(["news"]) });
 * const newsOffset = adapter.currentOffset();
 * adapter.broadcast({ type: 2, nsp: "/", data: ["sport", "goal"] }, { rooms: new Set(["sport"]) });
 * assert.deepEqual(news.data, ["news", "rain", newsOffset], "the offset comes last");
 *
 * time = 500;
 * const session = await adapter.restoreSession("p1");
 * assert.deepEqual(session?.missedPackets, [news.data]);
 * assert.equal(session?.data, 7);
 * assert.equal(await adapter.restoreSession("p1"), null, "a session is restored once");
 * ```
 */
export class Adapter extends Emitter<AdapterEvents> {
  /** The namespace this adapter serves. */
  readonly nsp: AdapterNamespace;
  /** The members of each room. */
  rooms: Map<Room, Set<SocketId>> = new Map();
  /** The rooms of each socket. */
  sids: Map<SocketId, Set<Room>> = new Map();
  readonly #recovery: Recovery | undefined;
  readonly #isLive = (room: Room): boolean => this.rooms.has(room);

  /**
   * Makes the adapter of a namespace. Nothing starts here.
   *
   * @param nsp The namespace, as the adapter sees it.
   * @param now The clock that ages recovery sessions and packets, in milliseconds.
   * @param options Tuning; see {@linkcode AdapterOptions}.
   * @throws {TypeError} When `nsp` or `now` is not what they should be.
   * @throws {RangeError} When `maxLogSize` or the namespace's `maxDisconnectionDuration` is out
   * of range.
   */
  constructor(nsp: AdapterNamespace, now: () => number = Date.now, options: AdapterOptions = {}) {
    super();
    checkNamespace(nsp);
    checkFunction("create Adapter", "now", now);
    const maxLogSize = options.maxLogSize ?? DEFAULT_OPTIONS.maxLogSize;
    checkMaxLogSize(maxLogSize);
    this.nsp = nsp;
    const recovery = nsp.connectionStateRecovery;
    if (recovery !== false && options.recoveryLog !== "external") {
      const maxAge = checkMaxDisconnectionDuration(recovery?.maxDisconnectionDuration);
      this.#recovery = new Recovery(maxAge, maxLogSize, now);
    }
  }

  /** Starts the adapter; nothing to start in memory. */
  init(): void | Promise<void> {}

  /**
   * Resolves once the adapter delivers what other servers send; the namespace waits for it
   * before it admits a socket, so a client never misses a broadcast sent after it connected.
   * At once in memory.
   *
   * @returns When it is ready.
   */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops the adapter and forgets the recovery sessions and log. */
  close(): void | Promise<void> {
    this.#recovery?.clear();
  }

  /** The number of servers the adapter reaches: 1 in memory. */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  /**
   * Adds a socket to rooms, emitting `create-room` and `join-room` as they happen.
   *
   * @param id The socket id.
   * @param rooms The rooms to join.
   * @throws {TypeError} When `id` is not a string or `rooms` not a Set.
   */
  addAll(id: SocketId, rooms: Set<Room>): void | Promise<void> {
    checkString("add to rooms", "id", id);
    checkSet("add to rooms", "rooms", rooms);
    let joined = this.sids.get(id);
    if (!joined) {
      joined = new Set();
      this.sids.set(id, joined);
      this.#recovery?.socketJoined(id);
    }
    for (const room of rooms) {
      joined.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        members = new Set();
        this.rooms.set(room, members);
        this.emit("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emit("join-room", room, id);
      }
    }
  }

  /**
   * Removes a socket from a room, emitting `leave-room`, then `delete-room` when it was the last.
   *
   * @param id The socket id.
   * @param room The room to leave.
   */
  del(id: SocketId, room: Room): void | Promise<void> {
    this.sids.get(id)?.delete(room);
    this.#leave(room, id);
  }

  /**
   * Removes a socket from all its rooms.
   *
   * @param id The socket id.
   */
  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (!joined) return;
    for (const room of joined) this.#leave(room, id);
    this.sids.delete(id);
    this.#recovery?.socketLeft(id);
  }

  /**
   * Sends a packet to every connected socket in any of `opts.rooms` (all sockets when empty) and
   * in none of `opts.except`, each at most once. The packet is encoded once, for all of them.
   * With recovery on, a non-volatile EVENT without an ack id gets an offset as its last argument
   * and goes into the log.
   *
   * @param packet The packet; its `nsp` is set to the namespace's name.
   * @param opts Whom it reaches, and how.
   * @throws {TypeError} When `opts` is malformed, or an event to log has no data array.
   */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.#send("broadcast", packet, opts, undefined);
  }

  /**
   * Broadcasts a packet that each recipient acknowledges: the adapter picks its ack id,
   * registers `ack` on every recipient before delivering, then reports how many there were.
   *
   * @param packet The packet; its `id` and `nsp` are set here.
   * @param opts Whom it reaches, and how.
   * @param clientCountCallback Called once with the number of recipients.
   * @param ack Called with each recipient's answer.
   * @throws {TypeError} When a callback is not a function or `opts` is malformed.
   */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    checkFunction("broadcast with ack", "clientCountCallback", clientCountCallback);
    checkFunction("broadcast with ack", "ack", ack);
    packet.id = this.nsp.nextAckId();
    const id = packet.id;
    const count = this.#send("broadcast with ack", packet, opts, (socket) => {
      socket.registerAck(id, ack);
    });
    clientCountCallback(count);
  }

  /**
   * The ids of the connected sockets in any of `rooms` (all sockets when empty).
   *
   * @param rooms The rooms.
   * @returns The socket ids.
   */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    for (const socket of this.#match({ rooms }, "list sockets")) ids.add(socket.id);
    return Promise.resolve(ids);
  }

  /**
   * The rooms of a socket.
   *
   * @param id The socket id.
   * @returns Its rooms (the adapter's own set), or `undefined` when it is in none.
   */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /**
   * Describes the sockets `opts` selects.
   *
   * @param opts The rooms and exceptions, as for a broadcast.
   * @returns What each socket's `describe()` says.
   */
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    return Promise.resolve(this.#match(opts, "fetch sockets").map((socket) => socket.describe()));
  }

  /**
   * Makes the sockets `opts` selects join rooms.
   *
   * @param opts The rooms and exceptions, as for a broadcast.
   * @param rooms The rooms to join.
   */
  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    checkArray("add sockets", "rooms", rooms);
    for (const socket of this.#match(opts, "add sockets")) socket.join(rooms);
  }

  /**
   * Makes the sockets `opts` selects leave rooms.
   *
   * @param opts The rooms and exceptions, as for a broadcast.
   * @param rooms The rooms to leave.
   */
  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    checkArray("remove sockets", "rooms", rooms);
    for (const socket of this.#match(opts, "remove sockets")) {
      for (const room of rooms) socket.leave(room);
    }
  }

  /**
   * Disconnects the sockets `opts` selects.
   *
   * @param opts The rooms and exceptions, as for a broadcast.
   * @param close Whether to close their whole connections.
   */
  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const socket of this.#match(opts, "disconnect sockets")) socket.disconnect(close);
  }

  /**
   * Sends an event to the other servers. In memory there is none: nothing is sent, and an ack
   * callback in last place is called at once with no error and no responses.
   *
   * @param args The event name and arguments, maybe an ack callback last.
   */
  serverSideEmit(args: unknown[]): void {
    checkArray("emit to other servers", "args", args);
    const last: unknown = args[args.length - 1];
    if (typeof last === "function") {
      (last as (error: Error | null, responses: unknown[]) => void)(null, []);
    }
  }

  /**
   * The offset of the newest packet logged so far, for a socket to keep as its
   * `connectedAtOffset` when it connects; `undefined` before the first one or with recovery off.
   *
   * @returns The offset.
   */
  currentOffset(): string | undefined {
    return this.#recovery?.currentOffset();
  }

  /**
   * Keeps a disconnected socket's session for `maxDisconnectionDuration`. Call it before the
   * socket leaves its rooms. Does nothing with recovery off.
   *
   * @param session The session.
   * @throws {TypeError} When the session is malformed.
   */
  persistSession(session: PersistedSession): void | Promise<void> {
    if (!this.#recovery) return;
    checkString("persist session", "session.sid", session?.sid);
    checkString("persist session", "session.pid", session.pid);
    checkArray("persist session", "session.rooms", session.rooms);
    this.#recovery.persist(session, this.#isLive);
  }

  /**
   * Takes back a persisted session with the data of every logged packet it missed: those after
   * `offset` (or, when the client sent none, after the session's `connectedAtOffset`) that
   * targeted every socket or one of its rooms, and none of their exceptions. The session is
   * removed either way.
   *
   * @param pid The private id the client presented.
   * @param offset The offset of the last packet the client got, if any.
   * @returns The session, or `null` when the pid is unknown, the session expired, the offset is
   * not one of this adapter's, or a packet the session may need was dropped from the log.
   */
  restoreSession(pid: string, offset?: string): Promise<RestoredSession | null> {
    try {
      checkString("restore session", "pid", pid);
      return Promise.resolve(this.#recovery?.restore(pid, offset) ?? null);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #send(
    action: string,
    packet: Packet,
    opts: BroadcastOptions,
    beforeDelivery: ((socket: AdapterSocket) => void) | undefined,
  ): number {
    checkBroadcastOptions(action, opts);
    packet.nsp = this.nsp.name;
    const flags = opts.flags ?? {};
    if (this.#recovery) {
      const isEvent = packet.type === PacketType.EVENT || packet.type === PacketType.BINARY_EVENT;
      if (isEvent && packet.id === undefined && !flags.volatile) {
        checkArray(action, "event data", packet.data);
        packet.data = this.#recovery.record(packet.data, opts, this.#isLive);
      }
    }
    const recipients = this.#match(opts, action);
    if (recipients.length === 0) return 0;
    const frames = this.nsp.encode(packet);
    for (const socket of recipients) {
      beforeDelivery?.(socket);
      socket.deliver(packet, frames, flags);
    }
    return recipients.length;
  }

  // Collects the matches first, so a callback that joins, leaves or disconnects cannot disturb
  // the walk over the room sets.
  #match(opts: BroadcastOptions, action: string): AdapterSocket[] {
    checkBroadcastOptions(action, opts);
    const skip = new Set<SocketId>();
    for (const room of opts.except ?? []) {
      for (const id of this.rooms.get(room) ?? []) skip.add(id);
    }
    const found: AdapterSocket[] = [];
    const visit = (id: SocketId) => {
      if (skip.has(id)) return;
      const socket = this.nsp.sockets.get(id);
      if (socket?.connected) found.push(socket);
    };
    if (opts.rooms.size === 0) {
      for (const id of this.sids.keys()) visit(id);
    } else {
      for (const room of opts.rooms) {
        for (const id of this.rooms.get(room) ?? []) {
          visit(id);
          skip.add(id);
        }
      }
    }
    return found;
  }

  #leave(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members) return;
    if (members.delete(id)) this.emit("leave-room", room, id);
    if (members.size === 0 && this.rooms.delete(room)) {
      this.#recovery?.roomDeleted(room);
      this.emit("delete-room", room);
    }
  }
}
