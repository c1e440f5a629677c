/**
 * Broadcasts: an immutable description of whom a packet reaches (rooms, except, flags), and the
 * operations on those sockets: emit (with acks), fetch, join, leave, disconnect.
 *
 * @module
 */

import type { Adapter } from "../adapter/adapter.ts";
import type { BroadcastFlags, Room, SocketDetails } from "../adapter/types.ts";
import { type Packet, PacketType, RESERVED_EVENTS } from "../parser/mod.ts";
import type { Timers } from "./engine/options.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventNamesWithError,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  TypedEventBroadcaster,
} from "./typed_events.ts";

/** What every operator of a namespace shares: its adapter, and timers for ack timeouts. */
export interface BroadcastContext {
  /** The namespace's adapter. */
  readonly adapter: Adapter;
  /** Timers for ack timeouts. */
  readonly timers: Timers;
}

/**
 * A socket found by `fetchSockets()`, on this server or another one.
 *
 * @typeParam EmitEvents The events it may be sent.
 * @typeParam SocketData The type of its `data`.
 */
export interface RemoteSocket<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends Omit<SocketDetails, "data">, TypedEventBroadcaster<EmitEvents> {
  /** The socket's `data`. */
  data: SocketData;
  /** Sends it an event. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  /** Makes it join rooms. */
  join(rooms: Room | Room[]): void;
  /** Makes it leave a room. */
  leave(room: Room): void;
  /** Disconnects it; with `close`, its whole connection. */
  disconnect(close?: boolean): void;
}

/** An ack of a broadcast: the error (on timeout) and every answer received. */
export type BroadcastAck = (error: Error | null, responses: unknown[]) => void;

const toSet = (rooms: Room | Room[]) => new Set(Array.isArray(rooms) ? rooms : [rooms]);

/**
 * Whom a broadcast reaches and how. Every modifier returns a new operator; the one it was made
 * from is unchanged.
 *
 * @typeParam EmitEvents The events it may send (their ack callbacks as the sender sees them).
 * @typeParam SocketData The type of the sockets' `data`.
 *
 * @example
 * ```ts
 * import { Server } from "@edgeio/edgeio/server";
 *
 * const io = new Server();
 * io.to("room1").except("room2").volatile.emit("news", { id: 1 });
 * io.close();
 * ```
 */
export class BroadcastOperator<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> implements TypedEventBroadcaster<EmitEvents> {
  readonly #context: BroadcastContext;
  readonly #rooms: ReadonlySet<Room>;
  readonly #except: ReadonlySet<Room>;
  readonly #flags: Readonly<BroadcastFlags>;

  /**
   * Made by namespaces and sockets.
   *
   * @param context The namespace's adapter and timers.
   * @param rooms Target rooms (all sockets when empty).
   * @param except Excluded rooms.
   * @param flags Flags.
   */
  constructor(
    context: BroadcastContext,
    rooms: ReadonlySet<Room> = new Set(),
    except: ReadonlySet<Room> = new Set(),
    flags: Readonly<BroadcastFlags> = {},
  ) {
    this.#context = context;
    this.#rooms = rooms;
    this.#except = except;
    this.#flags = flags;
  }

  /**
   * Targets rooms as well.
   *
   * @param room A room or rooms.
   * @returns A new operator.
   */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.#rooms);
    for (const r of toSet(room)) rooms.add(r);
    return new BroadcastOperator<EmitEvents, SocketData>(
      this.#context,
      rooms,
      this.#except,
      this.#flags,
    );
  }

  /** Alias of {@linkcode BroadcastOperator.to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /**
   * Leaves out the sockets of rooms.
   *
   * @param room A room or rooms.
   * @returns A new operator.
   */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const except = new Set(this.#except);
    for (const r of toSet(room)) except.add(r);
    return new BroadcastOperator<EmitEvents, SocketData>(
      this.#context,
      this.#rooms,
      except,
      this.#flags,
    );
  }

  /**
   * Sets whether the packet may be compressed.
   *
   * @param compress Whether it may.
   * @returns A new operator.
   */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with({ compress });
  }

  /** The packet may be dropped for clients not ready to receive it. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with({ volatile: true });
  }

  /** Only this server's sockets receive it. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with({ local: true });
  }

  /**
   * Gives acks `timeout` milliseconds; the ack then gets `(error, responses)`.
   *
   * @param timeout Milliseconds.
   * @returns A new operator.
   */
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return this.#with({ timeout }) as BroadcastOperator<
      DecorateAcknowledgements<EmitEvents>,
      SocketData
    >;
  }

  /**
   * Sends an event to every targeted socket, encoded once. A function as the last argument
   * collects every client's ack: `(error, responses)`, the error set when `timeout()` ran out.
   *
   * @param ev The event name (not a reserved one).
   * @param args The arguments.
   * @returns `true`.
   * @throws {Error} When the event name is reserved.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.#emit(ev as string, args as unknown[]);
  }

  #emit(event: string, args: unknown[]): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const data: unknown[] = [event, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: "/", data };
    const options = {
      rooms: new Set(this.#rooms),
      except: new Set(this.#except),
      flags: this.#flags,
    };
    if (typeof data[data.length - 1] !== "function") {
      this.#context.adapter.broadcast(packet, options);
      return true;
    }
    const ack = data.pop() as BroadcastAck;
    this.#broadcastWithAck(packet, options, ack);
    return true;
  }

  /**
   * Sends an event and resolves with every client's answer (rejects when `timeout()` ran out).
   *
   * @param ev The event name.
   * @param args The arguments.
   * @returns The answers.
   */
  emitWithAck<Ev extends EventNamesWithError<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      this.#emit(ev as string, [
        ...(args as unknown[]),
        (error: Error | null, responses: unknown[]) => {
          if (error) reject(error);
          else resolve(responses as FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>);
        },
      ]);
    });
  }

  /**
   * The targeted sockets.
   *
   * @returns What each socket is, with operations on it.
   */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const details = await this.#context.adapter.fetchSockets(this.#options());
    return details.map((socket) => this.#remote(socket));
  }

  /**
   * Makes the targeted sockets join rooms.
   *
   * @param room A room or rooms.
   */
  socketsJoin(room: Room | Room[]): void {
    this.#context.adapter.addSockets(this.#options(), [...toSet(room)]);
  }

  /**
   * Makes the targeted sockets leave rooms.
   *
   * @param room A room or rooms.
   */
  socketsLeave(room: Room | Room[]): void {
    this.#context.adapter.delSockets(this.#options(), [...toSet(room)]);
  }

  /**
   * Disconnects the targeted sockets.
   *
   * @param close Whether to close their whole connections.
   */
  disconnectSockets(close = false): void {
    this.#context.adapter.disconnectSockets(this.#options(), close);
  }

  #broadcastWithAck(
    packet: Packet,
    options: { rooms: Set<Room>; except: Set<Room>; flags: Readonly<BroadcastFlags> },
    ack: BroadcastAck,
  ): void {
    const responses: unknown[] = [];
    let expected: number | undefined;
    let done = false;
    const timers = this.#context.timers;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      ack(error, responses);
    };
    const timeout = this.#flags.timeout;
    const timer = timeout === undefined ? undefined : timers.setTimeout(
      () => finish(Object.assign(new Error("operation has timed out"), { responses })),
      timeout,
    );
    this.#context.adapter.broadcastWithAck(
      packet,
      options,
      (count: number) => {
        expected = count;
        if (responses.length >= count) finish(null);
      },
      (...answer: unknown[]) => {
        if (done) return;
        responses.push(answer.length > 1 ? answer : answer[0]);
        if (expected !== undefined && responses.length >= expected) finish(null);
      },
    );
  }

  #options() {
    return { rooms: new Set(this.#rooms), except: new Set(this.#except), flags: this.#flags };
  }

  #with(flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.#context, this.#rooms, this.#except, {
      ...this.#flags,
      ...flags,
    });
  }

  #remote(details: SocketDetails): RemoteSocket<EmitEvents, SocketData> {
    const self = new BroadcastOperator<EmitEvents, SocketData>(
      this.#context,
      new Set([details.id]),
    );
    return {
      ...details,
      data: details.data as SocketData,
      emit: (event, ...args) => self.#emit(event as string, args as unknown[]),
      join: (rooms) => self.socketsJoin(rooms),
      leave: (room) => self.socketsLeave(room),
      disconnect: (close) => self.disconnectSockets(close),
    };
  }
}
