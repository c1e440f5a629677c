/**
 * The event emitter under sockets, namespaces and the server, typed as socket.io's
 * `StrictEventEmitter`: `on` and its kin take the user's events and the reserved ones, while
 * emitting locally is left to the subclass (their public `emit` sends over the network).
 *
 * @module
 */

import { Emitter, type EventsMap } from "./emitter.ts";
import type {
  EventNames,
  EventParams,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "./typed_events.ts";

/**
 * Typed listener registration over an {@linkcode Emitter}, for classes whose own `emit` means
 * "send to the peer". Listeners get the subclass instance as `this`.
 *
 * @typeParam ListenEvents The events the peer may send.
 * @typeParam ReservedEvents The events the class emits itself.
 *
 * @example
 * ```ts
 * import { StrictEventEmitter } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * class Door extends StrictEventEmitter<{ knock: (times: number) => void }> {
 *   knock(times: number) {
 *     this.emitUntyped("knock", times);
 *   }
 * }
 * const door = new Door();
 * const heard: number[] = [];
 * door.on("knock", (times) => heard.push(times));
 * door.knock(3);
 * assert.deepEqual(heard, [3]);
 * ```
 */
export abstract class StrictEventEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap = Record<never, never>,
> {
  // The listener bookkeeping is Emitter's; this class only types it and keeps `emit` free for
  // the subclasses, whose `emit` sends over the network.
  readonly #inner: Emitter<EventsMap> = new Emitter<EventsMap>(this);

  /**
   * Adds a listener.
   *
   * @param ev The event name.
   * @param listener Called on each occurrence.
   * @returns This emitter.
   */
  on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#inner.on(ev as string, listener as never);
    return this;
  }

  /** Alias of {@linkcode StrictEventEmitter.on}. */
  addListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#inner.on(ev as string, listener as never);
    return this;
  }

  /**
   * Adds a listener called at most once.
   *
   * @param ev The event name.
   * @param listener Called on the next occurrence only.
   * @returns This emitter.
   */
  once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#inner.once(ev as string, listener as never);
    return this;
  }

  /**
   * Removes a listener (the most recently added copy of it).
   *
   * @param ev The event name.
   * @param listener The listener to remove.
   * @returns This emitter.
   */
  off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#inner.off(ev as string, listener as never);
    return this;
  }

  /** Alias of {@linkcode StrictEventEmitter.off}. */
  removeListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.off(ev, listener);
  }

  /**
   * Removes every listener of one event, or of all events.
   *
   * @param ev The event name; all events when absent.
   * @returns This emitter.
   */
  removeAllListeners(ev?: ReservedOrUserEventNames<ReservedEvents, ListenEvents>): this {
    this.#inner.removeAllListeners(ev as string | undefined);
    return this;
  }

  /**
   * The listeners of an event, in order.
   *
   * @param ev The event name.
   * @returns A copy of the listener list.
   */
  listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return this.#inner.listeners(ev as string) as ReservedOrUserListener<
      ReservedEvents,
      ListenEvents,
      Ev
    >[];
  }

  /**
   * How many listeners an event has.
   *
   * @param ev The event name.
   * @returns The count.
   */
  listenerCount(ev: ReservedOrUserEventNames<ReservedEvents, ListenEvents>): number {
    return this.#inner.listenerCount(ev as string);
  }

  /**
   * Calls the listeners of a reserved event.
   *
   * @param ev The reserved event name.
   * @param args Its arguments.
   * @returns Whether the event had listeners.
   */
  protected emitReserved<Ev extends EventNames<ReservedEvents>>(
    ev: Ev,
    ...args: EventParams<ReservedEvents, Ev>
  ): boolean {
    return this.emitUntyped(ev, ...(args as unknown[]));
  }

  /**
   * Calls the listeners of any event, unchecked (for events the peer sends).
   *
   * @param ev The event name.
   * @param args Its arguments.
   * @returns Whether the event had listeners.
   */
  protected emitUntyped(ev: string | symbol, ...args: unknown[]): boolean {
    return this.#inner.emit(ev as string, ...args);
  }
}
