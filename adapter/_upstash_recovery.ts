// Connection state recovery kept in Redis, so a client resumes on any node, also after the node
// it was on died: the packets a session missed are read back from the shared log, whose ids are
// the offsets clients hold, and sessions live in two places. A socket that disconnected leaves
// its session as a key with a TTL (`<prefix>session#<pid>`). A connected socket's session is a
// field of its node's hash (`<prefix>live#<uid>`), written when it connects and when its rooms
// change; the node refreshes the hash's TTL and its own time in `<prefix>nodes` as it publishes,
// so when a node has been silent for `heartbeatTimeout`, the sessions of its sockets can be
// taken over (for `maxDisconnectionDuration`) as if they had been disconnected cleanly.

import type { Packet } from "../parser/socket_packet.ts";
import { PacketType } from "../parser/socket_packet.ts";
import type { ClusterMessage } from "./cluster_message.ts";
import { MessageType } from "./cluster_message.ts";
import { decodeMessage } from "./cluster_codec.ts";
import { readSince } from "./_upstash_log.ts";
import type { UpstashCommands } from "./upstash_options.ts";
import type { BroadcastFlags, PersistedSession, RestoredSession } from "./types.ts";

/** Whether a broadcast gets a log id appended for recovery (an event, no ack, not volatile). */
export function isRecoverable(packet: Packet, flags: BroadcastFlags | undefined): boolean {
  return (packet.type === PacketType.EVENT || packet.type === PacketType.BINARY_EVENT) &&
    packet.id === undefined && !flags?.volatile && !flags?.local && Array.isArray(packet.data);
}

/** A broadcast message whose packet carries a recovery offset. */
export function recoverableBroadcast(
  message: ClusterMessage,
): Extract<ClusterMessage, { type: MessageType.BROADCAST }> | undefined {
  if (message.type !== MessageType.BROADCAST || message.data.requestId !== undefined) return;
  return isRecoverable(message.data.packet, message.data.opts.flags) ? message : undefined;
}

// Redis' clock, so that nodes whose clocks differ agree on who is silent.
const NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) ";

// KEYS[1] the node list, KEYS[2] this node's hash; ARGV[1] this node, ARGV[2] the TTL.
const TOUCH = NOW + "redis.call('ZADD', KEYS[1], now, ARGV[1]) " +
  "redis.call('PEXPIRE', KEYS[1], ARGV[2]) redis.call('PEXPIRE', KEYS[2], ARGV[2]) return now";

// KEYS[1] the session key, KEYS[2] the node list; ARGV[1] heartbeatTimeout, ARGV[2] the window.
// The session when it was left by a clean disconnection, else the nodes silent for longer
// than heartbeatTimeout (and not longer than the window) whose sockets may be taken over, the
// last one heard from first (should a pid be in two hashes, the newer entry wins).
const TAKE_SESSION = "local s = redis.call('GETDEL', KEYS[1]) if s then return s end " + NOW +
  "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - ARGV[1] - ARGV[2])) " +
  "return redis.call('ZREVRANGEBYSCORE', KEYS[2], '(' .. (now - ARGV[1]), now - ARGV[1] - ARGV[2])";

// KEYS the hashes of silent nodes; ARGV[1] the pid. Takes the first session found.
const TAKE_LIVE = "for _, key in ipairs(KEYS) do local s = redis.call('HGET', key, ARGV[1]) " +
  "if s then redis.call('HDEL', key, ARGV[1]) return s end end return false";

/** Where and for how long sessions are kept. */
export interface RecoveryOptions {
  /** The namespace. */
  nsp: string;
  /** The prefix of every key. */
  prefix: string;
  /** The log (stream) key. */
  logKey: string;
  /** `maxDisconnectionDuration`, in milliseconds. */
  maxAge: number;
  /** Milliseconds of silence after which a node counts as dead. */
  heartbeatTimeout: number;
}

/** Sessions and missed packets in Redis. */
export class RedisRecovery {
  readonly #redis: UpstashCommands;
  readonly #o: RecoveryOptions;

  constructor(redis: UpstashCommands, options: RecoveryOptions) {
    this.#redis = redis;
    this.#o = options;
  }

  /** Keeps a disconnected session for the recovery window. */
  async persist(session: PersistedSession): Promise<void> {
    await this.#redis.set(this.#o.prefix + "session#" + session.pid, stringify(session), {
      px: this.#o.maxAge,
    });
  }

  /** Records the sessions of connected sockets in node `uid`'s hash. */
  async track(uid: string, sessions: PersistedSession[]): Promise<void> {
    if (sessions.length === 0) return;
    const fields: Record<string, string> = {};
    for (const session of sessions) fields[session.pid] = stringify(session);
    await this.#redis.hset(this.#liveKey(uid), fields);
  }

  /** Forgets connected sockets of node `uid` (they disconnected). */
  async untrack(uid: string, pids: string[]): Promise<void> {
    if (pids.length) await this.#redis.hdel(this.#liveKey(uid), ...pids);
  }

  /** Tells the cluster node `uid` is alive, and keeps its sessions for the window. */
  async touch(uid: string): Promise<void> {
    await this.#redis.eval(TOUCH, [this.#nodesKey, this.#liveKey(uid)], [
      uid,
      String(this.#window),
    ]);
  }

  /** Node `uid` leaves for good (its sockets were disconnected, and persisted, first). */
  async leave(uid: string): Promise<void> {
    await this.#redis.eval(
      "redis.call('ZREM', KEYS[1], ARGV[1]) return redis.call('DEL', KEYS[2])",
      [this.#nodesKey, this.#liveKey(uid)],
      [uid],
    );
  }

  /**
   * Takes a session back (once) with the packets it missed since `offset`; `null` when the
   * session expired, its node still lives, or the log no longer reaches back to the offset.
   */
  async restore(pid: string, offset: string | undefined): Promise<RestoredSession | null> {
    const { prefix, heartbeatTimeout, maxAge, logKey } = this.#o;
    let stored = await this.#redis.eval(TAKE_SESSION, [prefix + "session#" + pid, this.#nodesKey], [
      String(heartbeatTimeout),
      String(maxAge),
    ]);
    if (Array.isArray(stored) && stored.length > 0) {
      const silent = stored.filter((uid): uid is string => typeof uid === "string");
      stored = await this.#redis.eval(TAKE_LIVE, silent.map((uid) => this.#liveKey(uid)), [pid]);
    }
    if (typeof stored !== "string") return null;
    const session = JSON.parse(stored) as PersistedSession;
    const since = offset ?? session.connectedAtOffset;
    if (since === undefined) return { ...session, missedPackets: [] };
    const entries = await readSince(this.#redis, logKey, since);
    if (entries[0]?.[0] !== since) return null;
    const rooms = new Set(session.rooms);
    const missedPackets: unknown[][] = [];
    for (const [id, text] of entries.slice(1)) {
      let message: ClusterMessage;
      try {
        message = decodeMessage(text);
      } catch {
        continue;
      }
      const broadcast = recoverableBroadcast(message);
      if (!broadcast || broadcast.nsp !== this.#o.nsp) continue;
      const { packet, opts } = broadcast.data;
      if (opts.except.some((room) => rooms.has(room))) continue;
      if (opts.rooms.length && !opts.rooms.some((room) => rooms.has(room))) continue;
      missedPackets.push([...(packet.data as unknown[]), id]);
    }
    return { ...session, missedPackets };
  }

  get #nodesKey(): string {
    return this.#o.prefix + "nodes";
  }

  // How long a node's sessions outlive its last sign of life.
  get #window(): number {
    return this.#o.heartbeatTimeout + this.#o.maxAge;
  }

  #liveKey(uid: string): string {
    return this.#o.prefix + "live#" + uid;
  }
}

function stringify(session: PersistedSession): string {
  const { sid, pid, rooms, data, connectedAtOffset } = session;
  return JSON.stringify({ sid, pid, rooms, data, connectedAtOffset });
}
