/**
 * A small typed event emitter with the Node.js `EventEmitter` methods socket.io users know
 * (`on`, `once`, `off`, `emit`, `listeners`, `listenerCount`, `removeAllListeners`), built on
 * nothing but arrays, so it runs on every runtime. It lives beside the parsers because both the
 * server and the client build on it, and parser/ is the one folder both may import.
 *
 * @module
 */

/**
 * An event map: event names to listener signatures. As in socket.io, any interface of
 * listeners is one (an index signature of `any` accepts interfaces, which have none).
 */
export interface EventsMap {
  /** The listener of the event (any type, so that interfaces qualify). */
  // deno-lint-ignore no-explicit-any
  [event: string]: any;
}

/** The events that no map declares, for emitters without a map: any name, any arguments. */
export interface DefaultEvents {
  /** The listener of the event: any arguments. */
  // deno-lint-ignore no-explicit-any
  [event: string]: (...args: any[]) => void;
}

interface Entry<F> {
  listener: F;
  once: boolean;
}

/**
 * Emits typed events to listeners in the order they were added. A listener that throws stops
 * the others for that emit, as in Node.js.
 *
 * @typeParam Events The events this emitter emits.
 *
 * @example
 * ```ts
 * import { Emitter } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * const emitter = new Emitter<{ greet: (name: string) => void }>();
 * const seen: string[] = [];
 * emitter.on("greet", (name) => seen.push(name));
 * emitter.once("greet", (name) => seen.push(`once ${name}`));
 * emitter.emit("greet", "ada");
 * emitter.emit("greet", "bob");
 * assert.deepEqual(seen, ["ada", "once ada", "bob"]);
 * ```
 */
export class Emitter<Events extends EventsMap = DefaultEvents> {
  #listeners = new Map<keyof Events, Entry<Events[keyof Events]>[]>();
  readonly #thisArg: unknown;

  /**
   * Makes an emitter.
   *
   * @param thisArg What listeners get as `this`: the emitter itself by default, or the object
   * that owns this emitter and exposes its methods.
   */
  constructor(thisArg?: unknown) {
    this.#thisArg = thisArg;
  }

  /**
   * Adds a listener.
   *
   * @param event The event name.
   * @param listener Called on each emit.
   * @returns This emitter.
   */
  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.#add(event, listener, false);
  }

  /** Alias of {@linkcode Emitter.on}. */
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.#add(event, listener, false);
  }

  /**
   * Adds a listener called at most once.
   *
   * @param event The event name.
   * @param listener Called on the next emit only.
   * @returns This emitter.
   */
  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.#add(event, listener, true);
  }

  /**
   * Removes a listener (the most recently added copy of it).
   *
   * @param event The event name.
   * @param listener The listener to remove.
   * @returns This emitter.
   */
  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    const entries = this.#listeners.get(event);
    if (!entries) return this;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i]!.listener === listener) {
        const next = entries.slice();
        next.splice(i, 1);
        if (next.length === 0) this.#listeners.delete(event);
        else this.#listeners.set(event, next);
        break;
      }
    }
    return this;
  }

  /** Alias of {@linkcode Emitter.off}. */
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.off(event, listener);
  }

  /**
   * Removes every listener of one event, or of all events.
   *
   * @param event The event name; all events when absent.
   * @returns This emitter.
   */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  /**
   * Calls the listeners of an event with the given arguments.
   *
   * @param event The event name.
   * @param args The arguments.
   * @returns Whether the event had listeners.
   */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const entries = this.#listeners.get(event);
    if (!entries) return false;
    for (const entry of entries) {
      if (entry.once) this.off(event, entry.listener as Events[E]);
      (entry.listener as (...a: unknown[]) => void).apply(this.#thisArg ?? this, args);
    }
    return true;
  }

  /**
   * The listeners of an event, in order.
   *
   * @param event The event name.
   * @returns A copy of the listener list.
   */
  listeners<E extends keyof Events>(event: E): Events[E][] {
    return (this.#listeners.get(event) ?? []).map((e) => e.listener as Events[E]);
  }

  /**
   * How many listeners an event has.
   *
   * @param event The event name.
   * @returns The count.
   */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  #add<E extends keyof Events>(event: E, listener: Events[E], once: boolean): this {
    const entries = this.#listeners.get(event);
    const entry = { listener, once };
    // Copy on write: an emit in progress keeps iterating the list it started with.
    this.#listeners.set(event, entries ? [...entries, entry] : [entry]);
    return this;
  }
}
