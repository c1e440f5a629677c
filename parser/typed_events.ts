/**
 * Event typing as socket.io 4.8 declares it: event maps, the names and parameters they give, and
 * the rewrites of ack callbacks that `timeout()` and broadcasts make (an `err` first, one answer
 * per client). The types mirror socket.io's `typed-events.d.ts`, so user code typed for
 * socket.io compiles against edgeio unchanged.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any

import type { EventsMap } from "./emitter.ts";

export type { EventsMap };

/** The events map used when none is given: any event name, any arguments. */
export interface DefaultEventsMap {
  /** The listener of the event: any arguments. */
  [event: string]: (...args: any[]) => void;
}

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);

/** The parameters of the listener of an event. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** Whether `T` is `any`. */
export type IsAny<T> = 0 extends 1 & T ? true : false;

/** `TypeIfAny` when `T` is `any`, else `TypeIfNotAny`. */
export type IfAny<T, TypeIfAny = true, TypeIfNotAny = false> = IsAny<T> extends true ? TypeIfAny
  : TypeIfNotAny;

/** The type of the last element of a tuple. */
export type Last<ValueType extends readonly unknown[]> = ValueType extends readonly [
  infer ElementType,
] ? ElementType
  : ValueType extends readonly [infer _, ...infer Tail] ? Last<Tail>
  : ValueType extends ReadonlyArray<infer ElementType> ? ElementType
  : never;

/** Every element of a tuple but the last. */
export type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : any[];

/** The first element of a tuple that is not an error. */
export type FirstNonErrorTuple<T extends unknown[]> = T[0] extends Error ? T[1] : T[0];

/** The first parameter of a function that is not an error. */
export type FirstNonErrorArg<T> = T extends (...args: infer Params) => any
  ? FirstNonErrorTuple<Params>
  : any;

/** Like `Parameters<T>`, without requiring `T` to be a function. */
export type LooseParameters<T> = T extends (...args: infer P) => any ? P : never;

/** The event names of a map whose listener takes an ack callback last. */
export type EventNamesWithAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = IfAny<
  Last<Parameters<Map[K]>> | Map[K],
  K,
  K extends (
    Parameters<Map[K]> extends never[] ? never
      : Last<Parameters<Map[K]>> extends (...args: any[]) => any ? K
      : never
  ) ? K
    : never
>;

/** The event names of a map whose listener takes no ack callback. */
export type EventNamesWithoutAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = IfAny<
  Last<Parameters<Map[K]>> | Map[K],
  K,
  K extends (Parameters<Map[K]> extends never[] ? K : never) ? K
    : K extends (Last<Parameters<Map[K]>> extends (...args: any[]) => any ? never : K) ? K
    : never
>;

/** The event names of a map whose ack callback takes an error first. */
export type EventNamesWithError<
  Map extends EventsMap,
  K extends EventNamesWithAck<Map> = EventNamesWithAck<Map>,
> = IfAny<
  Last<Parameters<Map[K]>> | Map[K],
  K,
  K extends (LooseParameters<Last<Parameters<Map[K]>>>[0] extends Error ? K : never) ? K : never
>;

/** A map without the events whose listener takes an ack callback. */
export type RemoveAcknowledgements<E extends EventsMap> = {
  [K in EventNamesWithoutAck<E>]: E[K];
};

/** Every element of a tuple made an array of itself. */
export type MultiplyArray<T extends unknown[]> = {
  [K in keyof T]: T[K][];
};

/** The ack callbacks among the parameters, with an `err` first (a timeout). */
export type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? Params[0] extends Error ? T[K] : (err: Error, ...args: Params) => Result
    : T[K];
};

/** The first element of a tuple, its label kept. */
export type InferFirstAndPreserveLabel<T extends any[]> = T extends [any, ...infer R]
  ? T extends [...infer H, ...R] ? H : never
  : never;

/** The ack callbacks among the parameters, taking one answer per client. */
export type ExpectMultipleResponses<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? Params extends [Error] ? (err: Error) => Result
    : Params extends [Error, ...infer Rest]
      ? (err: Error, ...args: InferFirstAndPreserveLabel<MultiplyArray<Rest>>) => Result
    : Params extends [] ? () => Result
    : (...args: InferFirstAndPreserveLabel<MultiplyArray<Params>>) => Result
    : T[K];
};

/**
 * A map whose ack callbacks take an `err` first, as `timeout()` makes them.
 *
 * @example
 * ```ts
 * import type { DecorateAcknowledgements } from "@edgeio/edgeio/server";
 *
 * type Events = { ping: (ack: (pong: string) => void) => void };
 * const decorated: DecorateAcknowledgements<Events> = {
 *   ping: (ack) => ack(new Error("operation has timed out"), "pong"),
 * };
 * ```
 */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : E[K];
};

/** A map whose ack callbacks take an `err` first and one answer per client. */
export type DecorateAcknowledgementsWithTimeoutAndMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: ExpectMultipleResponses<PrependTimeoutError<Params>>) => Result
    : E[K];
};

/** A map whose ack callbacks take one answer per client. */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: ExpectMultipleResponses<Params>) => Result
    : E[K];
};

/** The event names of a map of reserved events or of a map of user events. */
export type ReservedOrUserEventNames<
  ReservedEventsMap extends EventsMap,
  UserEvents extends EventsMap,
> = EventNames<ReservedEventsMap> | EventNames<UserEvents>;

/** An untyped listener when `T` is `never`, else `T`. */
export type FallbackToUntypedListener<T> = [T] extends [never]
  ? (...args: any[]) => void | Promise<void>
  : T;

/** The listener of an event: the reserved one when the name is reserved, else the user's. */
export type ReservedOrUserListener<
  ReservedEvents extends EventsMap,
  UserEvents extends EventsMap,
  Ev extends ReservedOrUserEventNames<ReservedEvents, UserEvents>,
> = FallbackToUntypedListener<
  Ev extends EventNames<ReservedEvents> ? ReservedEvents[Ev]
    : Ev extends EventNames<UserEvents> ? UserEvents[Ev]
    : never
>;

/** Something that is not an event emitter but has a typed `emit`. */
export interface TypedEventBroadcaster<EmitEvents extends EventsMap> {
  /** Sends an event. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
}
