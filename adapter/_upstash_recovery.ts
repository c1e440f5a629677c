// Connection state recovery kept in Redis, so a client resumes on any node, also after the node
// it was on died: sessions are keys with a TTL, and the packets a session missed are read back
// from the shared log, whose ids are the offsets clients hold.

import type { Packet } from "../parser/socket_packet.ts";
import { PacketType } from "../parser/socket_packet.ts";
import type { ClusterMessage } from "./cluster_message.ts";
import { MessageType } from "./cluster_message.ts";
import { decodeMessage } from "./cluster_codec.ts";
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

/** Sessions and missed packets in Redis. */
export class RedisRecovery {
  readonly #redis: UpstashCommands;
  readonly #prefix: string;
  readonly #logKey: string;
  readonly #logSize: number;
  readonly #maxAge: number;
  readonly #nsp: string;

  constructor(
    redis: UpstashCommands,
    where: { nsp: string; prefix: string; logKey: string },
    logSize: number,
    maxAge: number,
  ) {
    const { nsp, prefix, logKey } = where;
    this.#nsp = nsp;
    this.#redis = redis;
    this.#prefix = prefix;
    this.#logKey = logKey;
    this.#logSize = logSize;
    this.#maxAge = maxAge;
  }

  /** Keeps a session for the recovery window. */
  async persist(session: PersistedSession): Promise<void> {
    const { sid, pid, rooms, data, connectedAtOffset } = session;
    const value = JSON.stringify({ sid, pid, rooms, data, connectedAtOffset });
    await this.#redis.set(this.#prefix + pid, value, { px: this.#maxAge });
  }

  /**
   * Takes a session back (once) with the packets it missed since `offset`; `null` when the
   * session expired or the log no longer reaches back to the offset.
   */
  async restore(pid: string, offset: string | undefined): Promise<RestoredSession | null> {
    const stored = await this.#redis.getdel(this.#prefix + pid);
    if (typeof stored !== "string") return null;
    const session = JSON.parse(stored) as PersistedSession;
    const since = offset ?? session.connectedAtOffset;
    if (since === undefined) return { ...session, missedPackets: [] };
    const entries = await this.#redis.xrange(this.#logKey, since, "+", this.#logSize);
    const ids = Object.keys(entries);
    if (ids[0] !== since) return null;
    const rooms = new Set(session.rooms);
    const missedPackets: unknown[][] = [];
    for (const id of ids.slice(1)) {
      const text = entries[id]?.m;
      if (typeof text !== "string") continue;
      let message: ClusterMessage;
      try {
        message = decodeMessage(text);
      } catch {
        continue;
      }
      const broadcast = recoverableBroadcast(message);
      if (!broadcast || broadcast.nsp !== this.#nsp) continue;
      const { packet, opts } = broadcast.data;
      if (opts.except.some((room) => rooms.has(room))) continue;
      if (opts.rooms.length && !opts.rooms.some((room) => rooms.has(room))) continue;
      missedPackets.push([...(packet.data as unknown[]), id]);
    }
    return { ...session, missedPackets };
  }
}
