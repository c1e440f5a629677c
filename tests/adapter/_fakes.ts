// Fake namespaces and sockets that record what the adapter does to them.

import { Adapter, type AdapterOptions } from "../../adapter/mod.ts";
import type {
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  SocketDetails,
} from "../../adapter/mod.ts";
import type { Packet } from "../../parser/mod.ts";

export interface Delivery {
  packet: Packet;
  frames: readonly unknown[];
  flags: BroadcastFlags;
}

export interface FakeSocket extends AdapterSocket {
  connected: boolean;
  delivered: Delivery[];
  acks: Map<number, (...args: unknown[]) => void>;
  disconnects: (boolean | undefined)[];
}

export interface Fixture {
  adapter: Adapter;
  nsp: AdapterNamespace;
  sockets: Map<string, FakeSocket>;
  /** The JSON of each packet the namespace encoded, as it was when encoded. */
  encoded: string[];
  /** Everything that happened, in order: "deliver a", "ack a 0", "serverSideEmit". */
  log: string[];
  /** Moves the fake clock. */
  tick(ms: number): void;
  /** Adds a connected socket in its own room and `rooms`. */
  connect(id: string, ...rooms: string[]): FakeSocket;
}

export interface FixtureOptions extends AdapterOptions {
  /** `maxDisconnectionDuration`, or `false` for no recovery. */
  recovery?: number | false;
  name?: string;
}

export function fixture(options: FixtureOptions = {}): Fixture {
  const { recovery = false, name = "/", ...adapterOptions } = options;
  const sockets = new Map<string, FakeSocket>();
  const encoded: string[] = [];
  const log: string[] = [];
  let time = 1_000_000;
  let ackIds = 0;
  const nsp: AdapterNamespace = {
    name,
    sockets,
    nextAckId: () => ackIds++,
    encode(packet) {
      encoded.push(JSON.stringify(packet));
      return [JSON.stringify(packet.data)];
    },
    onServerSideEmit() {
      log.push("onServerSideEmit");
    },
    connectionStateRecovery: recovery === false ? false : { maxDisconnectionDuration: recovery },
  };
  const adapter = new Adapter(nsp, () => time, adapterOptions);
  const connect = (id: string, ...rooms: string[]): FakeSocket => {
    const socket: FakeSocket = {
      id,
      connected: true,
      delivered: [],
      acks: new Map(),
      disconnects: [],
      deliver(packet, frames, flags) {
        log.push(`deliver ${id}`);
        socket.delivered.push({ packet, frames, flags });
      },
      registerAck(ackId, callback) {
        log.push(`ack ${id} ${ackId}`);
        socket.acks.set(ackId, callback);
      },
      join(joined) {
        adapter.addAll(id, new Set(typeof joined === "string" ? [joined] : joined));
      },
      leave(room) {
        adapter.del(id, room);
      },
      disconnect(close) {
        socket.disconnects.push(close);
        socket.connected = false;
        adapter.delAll(id);
        sockets.delete(id);
      },
      describe(): SocketDetails {
        return { id, handshake: { auth: {} }, rooms: [...adapter.socketRooms(id) ?? []], data: id };
      },
    };
    sockets.set(id, socket);
    adapter.addAll(id, new Set([id, ...rooms]));
    return socket;
  };
  return { adapter, nsp, sockets, encoded, log, tick: (ms) => time += ms, connect };
}

/** The ids of the sockets that got at least one delivery, sorted. */
export function reached(sockets: Iterable<FakeSocket>): string[] {
  return [...sockets].filter((s) => s.delivered.length > 0).map((s) => s.id).sort();
}

/** An EVENT packet. */
export function event(...data: unknown[]): Packet {
  return { type: 2, nsp: "/ignored", data };
}
