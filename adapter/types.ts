/**
 * The narrow interface between a namespace and its adapter. The adapter sees sockets only
 * through {@linkcode AdapterSocket} and its namespace only through {@linkcode AdapterNamespace},
 * so adapter/ never imports server/ and there is no import cycle.
 *
 * @module
 */

import type { Packet } from "../parser/mod.ts";

/** A socket id (the Socket.IO id, not the Engine.IO session id). */
export type SocketId = string;
/** A room name. Every socket is in a room named after its own id. */
export type Room = string;

/** Flags of one broadcast, as socket.io-adapter 2.5 names them. */
export interface BroadcastFlags {
  /** The packet may be dropped for clients that are not ready to receive it. */
  volatile?: boolean;
  /** The packet may be compressed. */
  compress?: boolean;
  /** Only this server's clients receive it (cluster adapters skip publishing). */
  local?: boolean;
  /** Set by socket.broadcast: the sender is excluded through `except`. */
  broadcast?: boolean;
  /** Ack timeout in milliseconds for broadcasts with acks. */
  timeout?: number;
  /** Kept for socket.io compatibility; the encoder detects binary itself. */
  binary?: boolean;
}

/** Whom a broadcast reaches: sockets in any of `rooms` (all when empty) and in none of `except`. */
export interface BroadcastOptions {
  /** The target rooms; empty means every socket of the namespace. */
  rooms: Set<Room>;
  /** Rooms whose sockets are left out. */
  except?: Set<Room>;
  /** How the packet travels. */
  flags?: BroadcastFlags;
}

/** What the adapter may do with a local socket. */
export interface AdapterSocket {
  /** The Socket.IO id. */
  readonly id: SocketId;
  /** Whether the socket is still connected. */
  readonly connected: boolean;
  /**
   * Delivers a broadcast: `frames` are `packet` already encoded (one encoding per broadcast, the
   * same frames to every recipient); the socket tells its outgoing listeners about `packet` and
   * writes the frames.
   */
  deliver(packet: Packet, frames: readonly unknown[], flags: BroadcastFlags): void;
  /**
   * Registers the ack callback of a broadcast packet whose id the adapter chose; the socket calls
   * it with the client's answer.
   */
  registerAck(id: number, callback: (...args: unknown[]) => void): void;
  /** Joins rooms (through the adapter, so it stays consistent). */
  join(rooms: Room | Room[]): void | Promise<void>;
  /** Leaves a room. */
  leave(room: Room): void | Promise<void>;
  /** Disconnects the socket; with `close`, its whole connection. */
  disconnect(close?: boolean): void;
  /** The details `fetchSockets()` returns about the socket. */
  describe(): SocketDetails;
}

/** A socket as `fetchSockets()` describes it (socket.io's RemoteSocket data). */
export interface SocketDetails {
  /** The Socket.IO id. */
  id: SocketId;
  /** The handshake details, as plain data. */
  handshake: unknown;
  /** The rooms the socket is in. */
  rooms: Room[];
  /** The socket's `data`. */
  data: unknown;
}

/** What the adapter sees of its namespace. */
export interface AdapterNamespace {
  /** The namespace name, e.g. `/` or `/admin`. */
  readonly name: string;
  /** The connected sockets of this namespace on this server. */
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Encodes a packet into the frames every recipient gets (the server's parser). */
  encode(packet: Packet): unknown[];
  /**
   * The next ack id of this namespace: broadcasts with acks and single emits with acks share one
   * counter, so two pending acks on one socket never get the same id.
   */
  nextAckId(): number;
  /** Delivers a `serverSideEmit` from another server to the namespace's listeners. */
  onServerSideEmit(args: unknown[]): void;
  /** Connection state recovery settings, or `false` when recovery is off. */
  readonly connectionStateRecovery: { maxDisconnectionDuration: number } | false;
  /** The server the namespace belongs to: adapters of one server may share resources by it. */
  readonly server?: object;
}

/** What a disconnected socket leaves behind for connection state recovery. */
export interface PersistedSession {
  /** The Socket.IO id, restored as is. */
  sid: SocketId;
  /** The private id the client presents to recover. */
  pid: string;
  /** The rooms it was in. */
  rooms: Room[];
  /** Its `data`. */
  data: unknown;
  /**
   * The offset of the newest logged packet when the socket connected (`undefined` when the log
   * was empty), so a client that received no event before it dropped still gets what it missed.
   */
  connectedAtOffset?: string | undefined;
}

/** A restored session: what was persisted, and the packets the client missed. */
export interface RestoredSession extends PersistedSession {
  /** The data of each missed EVENT packet, offset appended as its last argument, in order. */
  missedPackets: unknown[][];
}
