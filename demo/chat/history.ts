// The last entries of each room, sent to whoever joins. Images are kept as a line saying one was
// shared, not as bytes: the demo holds everything in memory.

import type { ChatEntry } from "./types.ts";

/** Keeps the last `perRoom` entries of at most `rooms` rooms (the least recently used go first). */
export class History {
  readonly #rooms = new Map<string, ChatEntry[]>();
  readonly #perRoom: number;
  readonly #maxRooms: number;

  constructor(perRoom = 50, maxRooms = 200) {
    this.#perRoom = perRoom;
    this.#maxRooms = maxRooms;
  }

  /** Adds an entry to its room. */
  add(entry: ChatEntry): void {
    const entries = this.#touch(entry.room);
    entries.push(entry);
    if (entries.length > this.#perRoom) entries.splice(0, entries.length - this.#perRoom);
  }

  /** The entries of a room, oldest first. */
  of(room: string): ChatEntry[] {
    return [...(this.#rooms.get(room) ?? [])];
  }

  #touch(room: string): ChatEntry[] {
    const entries = this.#rooms.get(room) ?? [];
    // Re-inserting moves the room to the end of the Map's order: the front is least recent.
    this.#rooms.delete(room);
    this.#rooms.set(room, entries);
    if (this.#rooms.size > this.#maxRooms) {
      const oldest = this.#rooms.keys().next().value;
      if (oldest !== undefined) this.#rooms.delete(oldest);
    }
    return entries;
  }
}
