// Connection state recovery for one in-memory adapter: the log of offset-bearing packets and
// the sessions of disconnected sockets. No timers: expired entries go on the next call.
//
// Every logged packet has a sequence number (1, 2, 3, …). The log always holds a contiguous run
// of them, so a packet is found by arithmetic, and "nothing the client needs was dropped" is a
// comparison with the oldest sequence number still held.

import { formatOffset, parseOffset, randomPrefix } from "./_offsets.ts";
import type {
  BroadcastOptions,
  PersistedSession,
  RestoredSession,
  Room,
  SocketId,
} from "./types.ts";

interface LogEntry {
  seq: number;
  time: number;
  rooms: ReadonlySet<Room>;
  except: ReadonlySet<Room>;
  data: unknown[];
}

interface StoredSession {
  session: PersistedSession;
  disconnectedAt: number;
  /** The sequence number the session's packets start after, when no offset comes back. */
  afterSeq: number | undefined;
  /** The newest sequence number when the session was persisted. */
  persistedSeq: number;
  /**
   * No packet the socket could have been sent lies in (lastRelevantSeq, persistedSeq]; a
   * client whose offset is at least this needs nothing logged before it disconnected.
   */
  lastRelevantSeq: number;
}

const EMPTY: ReadonlySet<Room> = new Set();

/** Whether a logged packet reaches a session in `rooms` (its own id among them). */
function reaches(entry: LogEntry, rooms: readonly Room[]): boolean {
  if (rooms.some((room) => entry.except.has(room))) return false;
  return entry.rooms.size === 0 || rooms.some((room) => entry.rooms.has(room));
}

/** The packet log and the persisted sessions. */
export class Recovery {
  readonly #maxAge: number;
  readonly #maxLogSize: number;
  readonly #now: () => number;
  #prefix = "";
  #seq = 0;
  #entries: (LogEntry | undefined)[] = [];
  #head = 0;
  #sessions = new Map<string, StoredSession>();
  // Per live room, the newest packet sent to it; dropped with the room, so it stays bounded.
  #lastSeqByRoom = new Map<Room, number>();
  #lastSeqToAll = 0;
  #joinedAtSeq = new Map<SocketId, number>();

  constructor(maxAge: number, maxLogSize: number, now: () => number) {
    this.#maxAge = maxAge;
    this.#maxLogSize = maxLogSize;
    this.#now = now;
  }

  /** The offset of the newest packet logged so far (even if dropped since). */
  currentOffset(): string | undefined {
    return this.#seq === 0 ? undefined : formatOffset(this.#prefix, this.#seq);
  }

  /** How many sessions are kept. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** How many packets the log holds. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Logs a packet (after purging) and returns its data with its offset appended.
   *
   * @param isLive Whether a room has members now.
   */
  record(
    data: readonly unknown[],
    opts: BroadcastOptions,
    isLive: (room: Room) => boolean,
  ): unknown[] {
    this.purge();
    if (this.#prefix === "") this.#prefix = randomPrefix();
    const seq = ++this.#seq;
    const withOffset = [...data, formatOffset(this.#prefix, seq)];
    const rooms = opts.rooms.size === 0 ? EMPTY : new Set(opts.rooms);
    const except = opts.except && opts.except.size > 0 ? new Set(opts.except) : EMPTY;
    this.#entries.push({ seq, time: this.#now(), rooms, except, data: withOffset });
    if (rooms.size === 0) this.#lastSeqToAll = seq;
    for (const room of rooms) if (isLive(room)) this.#lastSeqByRoom.set(room, seq);
    while (this.size > this.#maxLogSize) this.#dropOldest();
    return withOffset;
  }

  /** A socket appeared in the adapter: what it may miss starts after the current packet. */
  socketJoined(id: SocketId): void {
    this.#joinedAtSeq.set(id, this.#seq);
  }

  /** A socket left every room. */
  socketLeft(id: SocketId): void {
    this.#joinedAtSeq.delete(id);
  }

  /** A room lost its last member. */
  roomDeleted(room: Room): void {
    this.#lastSeqByRoom.delete(room);
  }

  /** Stores a session; `isLive` tells which of its rooms still have members. */
  persist(session: PersistedSession, isLive: (room: Room) => boolean): void {
    this.purge();
    const rooms = [...session.rooms];
    const afterSeq = typeof session.connectedAtOffset === "string"
      ? parseOffset(this.#prefix, session.connectedAtOffset, this.#seq)
      : this.#joinedAtSeq.get(session.sid) ?? 0;
    let lastRelevantSeq = this.#lastSeqToAll;
    for (const room of rooms) {
      // A room gone already (the socket left it before being persisted) tells nothing more.
      const last = isLive(room) ? this.#lastSeqByRoom.get(room) ?? 0 : this.#seq;
      if (last > lastRelevantSeq) lastRelevantSeq = last;
    }
    this.#sessions.delete(session.pid);
    this.#sessions.set(session.pid, {
      session: { ...session, rooms },
      disconnectedAt: this.#now(),
      afterSeq,
      persistedSeq: this.#seq,
      lastRelevantSeq,
    });
  }

  /** Takes a session back with the packets it missed, or `null` (see Adapter.restoreSession). */
  restore(pid: string, offset: unknown): RestoredSession | null {
    this.purge();
    const stored = this.#sessions.get(pid);
    if (!stored) return null;
    this.#sessions.delete(pid);
    if (this.#expired(stored.disconnectedAt)) return null;
    const from = offset === undefined
      ? stored.afterSeq
      : typeof offset === "string"
      ? parseOffset(this.#prefix, offset, this.#seq)
      : undefined;
    if (from === undefined) return null;
    // Everything after `mustHoldFrom` must still be logged; before it, nothing could reach it.
    const mustHoldFrom = from < stored.lastRelevantSeq ? from : Math.max(from, stored.persistedSeq);
    const first = this.#entries[this.#head]?.seq ?? this.#seq + 1;
    if (first > mustHoldFrom + 1) return null;
    const { rooms } = stored.session;
    const missedPackets: unknown[][] = [];
    for (let i = this.#head + Math.max(0, from + 1 - first); i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      if (reaches(entry, rooms)) missedPackets.push(entry.data.slice());
    }
    return { ...stored.session, missedPackets };
  }

  /** Drops expired sessions and log entries. */
  purge(): void {
    for (const [pid, stored] of this.#sessions) {
      // Sessions are kept in the order they were persisted, so the first live one ends it.
      if (!this.#expired(stored.disconnectedAt)) break;
      this.#sessions.delete(pid);
    }
    while (this.size > 0 && this.#expired(this.#entries[this.#head]!.time)) this.#dropOldest();
  }

  /** Forgets every session and logged packet (the offsets keep counting). */
  clear(): void {
    this.#sessions.clear();
    this.#entries = [];
    this.#head = 0;
  }

  #expired(time: number): boolean {
    return time + this.#maxAge < this.#now();
  }

  #dropOldest(): void {
    this.#entries[this.#head++] = undefined;
    // Compact now and then instead of shifting the array on every drop.
    if (this.#head >= 1024 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
