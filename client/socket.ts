/**
 * The Socket.IO client socket: one namespace over a {@linkcode Manager}'s connection, with acks,
 * timeouts, retries, buffering while offline, catch-all listeners and connection state recovery.
 *
 * @module
 */

import { type Packet, PacketType, RESERVED_EVENTS } from "../parser/socket_packet.ts";
import { StrictEventEmitter } from "../parser/strict_event_emitter.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
} from "../parser/typed_events.ts";
import { on } from "./_on.ts";
import type { Manager } from "./manager.ts";
import type { SocketOptions } from "./options.ts";

/** Why a client socket disconnected. */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error"
  | "forced close";

/** The events a client socket raises itself. */
export interface SocketReservedEvents {
  /** Connected to the namespace (or reconnected). */
  connect: () => void;
  /** The connection was refused or failed; `error.data` holds what the server attached. */
  connect_error: (error: Error & { data?: unknown }) => void;
  /** Disconnected. */
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
}

/** A catch-all listener or an ack callback: it takes whatever the server sends. */
// deno-lint-ignore no-explicit-any -- listeners and acks take anything the server sends
export type AnyFn = (...args: any[]) => void;
type Ack = AnyFn & { withError?: boolean };
/** A packet on its way out, with its write options. */
export type Outgoing = Packet & { options?: { compress?: boolean } };
interface Flags {
  compress?: boolean;
  volatile?: boolean;
  timeout?: number;
  fromQueue?: boolean;
}
interface Queued {
  tries: number;
  pending: boolean;
  args: unknown[];
  flags: Flags;
}

/**
 * A connection to one namespace.
 *
 * @example Emit with an ack, and listen to every incoming event
 * ```ts
 * import { io } from "@edgeio/edgeio/client";
 * import { Server } from "@edgeio/edgeio";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 * import assert from "node:assert/strict";
 *
 * const server = new Server({ upgradeWebSocket });
 * server.on("connection", (s) => s.on("double", (n: number, ack: (m: number) => void) => ack(n * 2)));
 * const http = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, server.fetch);
 * const socket = io(`http://127.0.0.1:${http.addr.port}`, { forceNew: true });
 * assert.equal(await socket.timeout(5000).emitWithAck("double", 21), 42);
 * socket.disconnect();
 * await server.close();
 * await http.shutdown();
 * ```
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends StrictEventEmitter<ListenEvents, SocketReservedEvents> {
  /** The manager this socket runs over. */
  readonly io: Manager;
  /** The namespace. */
  readonly nsp: string;
  /** The socket id given by the server, while connected. */
  id: string | undefined;
  /** Whether the socket is connected to its namespace. */
  connected = false;
  /** Whether the last connection restored the previous session (connection state recovery). */
  recovered = false;
  /** Credentials sent with the CONNECT packet. */
  auth: SocketOptions["auth"];
  /** Incoming events held until the socket is connected. */
  receiveBuffer: unknown[][] = [];
  /** Outgoing packets held until the socket is connected. */
  sendBuffer: Outgoing[] = [];
  #pid: string | undefined;
  #offset: string | undefined;
  #opts: SocketOptions;
  #ids = 0;
  #acks = new Map<number, Ack>();
  #flags: Flags = {};
  #subs: (() => unknown)[] | undefined;
  #queue: Queued[] = [];
  // Replaced, never changed in place, so a listener that adds or removes one does not disturb
  // the dispatch under way.
  #any: AnyFn[] = [];
  #anyOut: AnyFn[] = [];

  /**
   * Makes a socket; use {@linkcode io} or {@linkcode Manager.socket} instead.
   *
   * @param manager The manager.
   * @param nsp The namespace.
   * @param opts Options.
   */
  constructor(manager: Manager, nsp: string, opts: SocketOptions = {}) {
    super();
    this.io = manager;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.#opts = opts;
    if (manager._autoConnect) this.open();
  }

  /** Whether the socket is not connected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket is connected or trying to (it reconnects with its manager). */
  get active(): boolean {
    return !!this.#subs;
  }

  /**
   * Connects (or reconnects after `disconnect()`).
   *
   * @returns This socket.
   */
  connect(): this {
    if (this.connected) return this;
    const io = this.io;
    this.#subs ??= [
      on(io, "open", () => this.#onOpen()),
      on(io, "packet", (packet) => this.#onPacket(packet)),
      on(io, "error", (error) => this.connected || this.emitReserved("connect_error", error)),
      on(io, "close", (reason, description) => this.#onClose(reason, description)),
    ];
    if (!io._reconnecting) io.open();
    if (io._readyState === "open") this.#onOpen();
    return this;
  }

  /** Alias of {@linkcode Socket.connect}. */
  open(): this {
    return this.connect();
  }

  /**
   * Sends a `message` event.
   *
   * @param args The arguments, an ack callback last if wanted.
   * @returns This socket.
   */
  send(...args: unknown[]): this {
    return this.#emit(["message", ...args]);
  }

  /**
   * Sends an event; a function as the last argument is called with the server's ack.
   *
   * @param ev The event name.
   * @param args The arguments.
   * @returns This socket.
   * @throws {Error} When the name is reserved.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    if (RESERVED_EVENTS.has(ev as string)) {
      throw new Error(`"${String(ev)}" is a reserved event name`);
    }
    return this.#emit([ev, ...args]);
  }

  /**
   * Sends an event and resolves with the server's ack; rejects on timeout (see `timeout()` and
   * `ackTimeout`).
   *
   * @param ev The event name.
   * @param args The arguments, without the ack callback.
   * @returns The ack's argument.
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      const ack: Ack = (
        error: unknown,
        answer: FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>,
      ) => error ? reject(error) : resolve(answer);
      ack.withError = true;
      this.#emit([ev, ...(args as unknown[]), ack]);
    });
  }

  /**
   * Sets a timeout for the ack of the next emit; the ack then gets an error first.
   *
   * @param timeout Milliseconds.
   * @returns This socket, typed with error-first acks.
   */
  timeout(timeout: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags.timeout = timeout;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** The next emit is dropped when the connection is not ready instead of buffered. */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /**
   * Sets whether the next emit is compressed.
   *
   * @param compress The flag.
   * @returns This socket.
   */
  compress(compress: boolean): this {
    this.#flags.compress = compress;
    return this;
  }

  /**
   * Disconnects from the namespace; the connection closes once no namespace uses it.
   *
   * @returns This socket.
   */
  disconnect(): this {
    const connected = this.connected;
    if (connected) this.#packet({ type: PacketType.DISCONNECT, nsp: this.nsp });
    this.#destroy();
    if (connected) this.#onClose("io client disconnect");
    return this;
  }

  /** Alias of {@linkcode Socket.disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /**
   * Adds a listener for every incoming event.
   *
   * @param listener Called with the event name and arguments.
   * @returns This socket.
   */
  onAny(listener: AnyFn): this {
    this.#any = [...this.#any, listener];
    return this;
  }

  /**
   * Adds a catch-all listener called before the others.
   *
   * @param listener Called with the event name and arguments.
   * @returns This socket.
   */
  prependAny(listener: AnyFn): this {
    this.#any = [listener, ...this.#any];
    return this;
  }

  /**
   * Removes a catch-all listener, or all of them.
   *
   * @param listener The listener; all when absent.
   * @returns This socket.
   */
  offAny(listener?: AnyFn): this {
    this.#any = listener ? this.#any.filter((l) => l !== listener) : [];
    return this;
  }

  /**
   * The catch-all listeners.
   *
   * @returns A copy of the list.
   */
  listenersAny(): AnyFn[] {
    return this.#any.slice();
  }

  /**
   * Adds a listener for every outgoing event.
   *
   * @param listener Called with the event name and arguments.
   * @returns This socket.
   */
  onAnyOutgoing(listener: AnyFn): this {
    this.#anyOut = [...this.#anyOut, listener];
    return this;
  }

  /**
   * Adds an outgoing catch-all listener called before the others.
   *
   * @param listener Called with the event name and arguments.
   * @returns This socket.
   */
  prependAnyOutgoing(listener: AnyFn): this {
    this.#anyOut = [listener, ...this.#anyOut];
    return this;
  }

  /**
   * Removes an outgoing catch-all listener, or all of them.
   *
   * @param listener The listener; all when absent.
   * @returns This socket.
   */
  offAnyOutgoing(listener?: AnyFn): this {
    this.#anyOut = listener ? this.#anyOut.filter((l) => l !== listener) : [];
    return this;
  }

  /**
   * The outgoing catch-all listeners.
   *
   * @returns A copy of the list.
   */
  listenersAnyOutgoing(): AnyFn[] {
    return this.#anyOut.slice();
  }

  #emit(args: unknown[]): this {
    const flags = this.#flags;
    this.#flags = {};
    if (this.#opts.retries && !flags.fromQueue && !flags.volatile) {
      this.#enqueue(args, flags);
      return this;
    }
    const packet: Outgoing = {
      type: PacketType.EVENT,
      nsp: this.nsp,
      data: args,
      options: { compress: flags.compress !== false },
    };
    if (typeof args[args.length - 1] === "function") {
      const id = this.#ids++;
      this.#registerAck(id, args.pop() as Ack, flags.timeout ?? this.#opts.ackTimeout);
      packet.id = id;
    }
    const engine = this.io.engine;
    if (flags.volatile && !engine?.transport?.writable) return this;
    if (this.connected) this.#send(packet);
    else this.sendBuffer.push(packet);
    return this;
  }

  #registerAck(id: number, ack: Ack, timeout: number | undefined): void {
    if (timeout === undefined) {
      this.#acks.set(id, ack);
      return;
    }
    const timer = setTimeout(() => {
      this.#acks.delete(id);
      this.sendBuffer = this.sendBuffer.filter((packet) => packet.id !== id);
      ack.call(this, new Error("operation has timed out"));
    }, timeout);
    const wrapped: Ack = (...args) => {
      clearTimeout(timer);
      ack.apply(this, args);
    };
    wrapped.withError = true;
    this.#acks.set(id, wrapped);
  }

  #enqueue(args: unknown[], flags: Flags): void {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() as Ack : undefined;
    const item: Queued = { tries: 0, pending: false, args, flags: { ...flags, fromQueue: true } };
    const onAck: Ack = (error: unknown, ...answer: unknown[]) => {
      if (item !== this.#queue[0]) return;
      if (error === null) {
        this.#queue.shift();
        ack?.(null, ...answer);
      } else if (item.tries > this.#opts.retries!) {
        this.#queue.shift();
        ack?.(error);
      }
      item.pending = false;
      this.#drainQueue();
    };
    onAck.withError = true;
    args.push(onAck);
    this.#queue.push(item);
    this.#drainQueue();
  }

  #drainQueue(force = false): void {
    const item = this.#queue[0];
    if (!this.connected || !item || (item.pending && !force)) return;
    item.pending = true;
    item.tries++;
    this.#flags = item.flags;
    this.#emit(item.args.slice());
  }

  #send(packet: Outgoing): void {
    if (this.#anyOut.length && packet.data) {
      for (const listener of this.#anyOut) listener.apply(this, packet.data as unknown[]);
    }
    this.#packet(packet);
  }

  #packet(packet: Outgoing): void {
    this.io._packet(packet);
  }

  #onOpen(): void {
    const auth = this.auth;
    if (typeof auth === "function") auth((data) => this.#sendConnect(data));
    else this.#sendConnect(auth);
  }

  #sendConnect(data: Record<string, unknown> | undefined): void {
    this.#packet({
      type: PacketType.CONNECT,
      nsp: this.nsp,
      data: this.#pid ? { pid: this.#pid, offset: this.#offset, ...data } : data,
    });
  }

  #onPacket(packet: Packet): void {
    if (packet.nsp !== this.nsp) return;
    const data = packet.data as Record<string, unknown> | undefined;
    switch (packet.type) {
      case PacketType.CONNECT:
        if (data?.sid) return this.#onConnect(data.sid as string, data.pid as string | undefined);
        return void this.emitReserved(
          "connect_error",
          new Error(
            "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client",
          ),
        );
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT: {
        const args = (packet.data ?? []) as unknown[];
        if (packet.id !== undefined) args.push(this.#replier(packet.id));
        if (this.connected) this.#emitEvent(args);
        else this.receiveBuffer.push(args);
        return;
      }
      case PacketType.ACK:
      case PacketType.BINARY_ACK: {
        const ack = this.#acks.get(packet.id!);
        if (!ack) return;
        this.#acks.delete(packet.id!);
        const args = (packet.data ?? []) as unknown[];
        if (ack.withError) args.unshift(null);
        ack.apply(this, args);
        return;
      }
      case PacketType.DISCONNECT:
        this.#destroy();
        return this.#onClose("io server disconnect");
      case PacketType.CONNECT_ERROR: {
        this.#destroy();
        const error = new Error((data?.message as string) ?? "connect_error") as Error & {
          data?: unknown;
        };
        error.data = data?.data;
        return void this.emitReserved("connect_error", error);
      }
    }
  }

  #replier(id: number): AnyFn {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.#packet({ type: PacketType.ACK, nsp: this.nsp, id, data: args });
    };
  }

  #emitEvent(args: unknown[]): void {
    for (const listener of this.#any) listener.apply(this, args);
    this.emitUntyped(args[0] as string, ...args.slice(1));
    const last = args[args.length - 1];
    if (this.#pid && args.length > 1 && typeof last === "string") this.#offset = last;
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = !!pid && this.#pid === pid;
    this.#pid = pid;
    this.connected = true;
    for (const args of this.receiveBuffer) this.#emitEvent(args);
    this.receiveBuffer = [];
    for (const packet of this.sendBuffer) this.#send(packet);
    this.sendBuffer = [];
    this.emitReserved("connect");
    this.#drainQueue(true);
  }

  #onClose(reason: string, description?: unknown): void {
    this.connected = false;
    this.id = undefined;
    this.emitReserved("disconnect", reason as DisconnectReason, description);
    for (const [id, ack] of this.#acks) {
      if (this.sendBuffer.some((packet) => packet.id === id)) continue;
      this.#acks.delete(id);
      if (ack.withError) ack.call(this, new Error("socket has been disconnected"));
    }
  }

  #destroy(): void {
    if (this.#subs) {
      for (const off of this.#subs) off();
      this.#subs = undefined;
    }
    this.io._destroy();
  }
}
