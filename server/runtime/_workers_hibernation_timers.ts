// Timers for a hibernating Durable Object: a pending setTimeout keeps a Durable Object in memory
// (measured in workerd: a 20 s timer kept the object past its 10 s idle eviction), so every timer
// of the engine lives in one queue here, woken by the object's single storage alarm. Heartbeat
// timers snap to a grid of pingInterval (pings earlier, timeouts later), so every session is
// pinged at the same instants and the object wakes once per interval, not once per session.

import type { TimerKind, Timers } from "../engine/options.ts";

interface Entry {
  due: number;
  fn: () => void;
}

/** The engine's timers, run from a Durable Object's `alarm()`. */
export class AlarmTimers implements Timers {
  /** The heartbeat grid, in milliseconds: the engine's pingInterval. */
  grid = 25000;
  readonly #entries = new Map<number, Entry>();
  readonly #setAlarm: (time: number) => unknown;
  readonly #deleteAlarm: () => unknown;
  readonly #now: () => number;
  #ids = 0;
  #armed: number | undefined;

  /**
   * @param setAlarm Sets the object's alarm (`state.storage.setAlarm`).
   * @param deleteAlarm Removes it (`state.storage.deleteAlarm`).
   * @param now The clock.
   */
  constructor(
    setAlarm: (time: number) => unknown,
    deleteAlarm: () => unknown,
    now: () => number = Date.now,
  ) {
    this.#setAlarm = setAlarm;
    this.#deleteAlarm = deleteAlarm;
    this.#now = now;
  }

  /** How many timers are pending. */
  get size(): number {
    return this.#entries.size;
  }

  setTimeout(fn: () => void, ms: number, kind?: TimerKind): unknown {
    const now = this.#now();
    let due = now + Math.max(0, ms);
    // floor((now + P) / P) * P is in (now, now + P]: the next grid instant, never later than asked.
    if (kind === "ping") due = Math.max(Math.floor(due / this.grid) * this.grid, now + 1);
    else if (kind === "pingTimeout") due = Math.ceil(due / this.grid) * this.grid;
    const id = ++this.#ids;
    this.#entries.set(id, { due, fn });
    if (this.#armed === undefined || due < this.#armed) this.#arm(due);
    return id;
  }

  clearTimeout(id: unknown): void {
    const entry = this.#entries.get(id as number);
    if (!entry) return;
    this.#entries.delete(id as number);
    // The alarm moves when the earliest timer goes (an answered ack's timeout): a needless
    // wake-up would keep the object in memory for another 10 s.
    if (entry.due !== this.#armed) return;
    const next = this.#earliest();
    if (next === this.#armed) return;
    if (next === Infinity) this.#disarm();
    else this.#arm(next);
  }

  /** Runs what is due (from `alarm()`), then sets the alarm for what is left. */
  fire(): void {
    this.#armed = undefined;
    const now = this.#now();
    const due = [...this.#entries].filter(([, entry]) => entry.due <= now)
      .sort(([, a], [, b]) => a.due - b.due);
    for (const [id] of due) {
      const entry = this.#entries.get(id);
      // An earlier timer of this round may have cleared it.
      if (!entry) continue;
      this.#entries.delete(id);
      try {
        entry.fn();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    const next = this.#earliest();
    if (next !== Infinity && (this.#armed === undefined || next < this.#armed)) this.#arm(next);
  }

  #earliest(): number {
    let next = Infinity;
    for (const entry of this.#entries.values()) next = Math.min(next, entry.due);
    return next;
  }

  #disarm(): void {
    this.#armed = undefined;
    try {
      Promise.resolve(this.#deleteAlarm()).catch(() => {});
    } catch { /* as in #arm */ }
  }

  #arm(time: number): void {
    this.#armed = time;
    try {
      // A failed write resets the object in workerd; nothing to recover here.
      Promise.resolve(this.#setAlarm(time)).catch(() => {});
    } catch { /* as above */ }
  }
}
