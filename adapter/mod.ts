/**
 * Adapters: what a namespace uses to find its sockets by room and to reach them, on one
 * server or many. This module holds the interface between a namespace and its adapter and the
 * in-memory {@linkcode Adapter} (rooms, broadcasts encoded once, broadcast acks,
 * `fetchSockets`, connection state recovery), with the API of socket.io-adapter 2.5. It imports
 * no runtime API and starts no timer.
 *
 * @example A namespace's view of its adapter
 * ```ts
 * import { Adapter, type AdapterNamespace, type AdapterSocket } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const sockets = new Map<string, AdapterSocket>();
 * const nsp: AdapterNamespace = {
 *   name: "/chat",
 *   sockets,
 *   encode: (packet) => [`2${packet.nsp},${JSON.stringify(packet.data)}`],
 *   onServerSideEmit() {},
 *   nextAckId: (() => { let id = 0; return () => id++; })(),
 *   connectionStateRecovery: false,
 * };
 * const adapter = new Adapter(nsp);
 * const frames: unknown[] = [];
 * const acks = new Map<number, (...args: unknown[]) => void>();
 * sockets.set("a", {
 *   id: "a",
 *   connected: true,
 *   deliver: (_packet, encoded) => frames.push(...encoded),
 *   registerAck: (id, callback) => acks.set(id, callback),
 *   join: (rooms) => adapter.addAll("a", new Set([rooms].flat())),
 *   leave: (room) => adapter.del("a", room),
 *   disconnect: () => adapter.delAll("a"),
 *   describe: () => ({ id: "a", handshake: {}, rooms: [...adapter.socketRooms("a")!], data: 1 }),
 * });
 * adapter.addAll("a", new Set(["a"]));
 *
 * adapter.addSockets({ rooms: new Set() }, ["room1"]);
 * const [details] = await adapter.fetchSockets({ rooms: new Set(["room1"]) });
 * assert.deepEqual(details?.rooms, ["a", "room1"]);
 *
 * let count = -1;
 * const answers: unknown[] = [];
 * adapter.broadcastWithAck(
 *   { type: 2, nsp: "/chat", data: ["question"] },
 *   { rooms: new Set(["room1"]) },
 *   (clientCount) => count = clientCount,
 *   (answer) => answers.push(answer),
 * );
 * assert.equal(count, 1);
 * assert.deepEqual(frames, ['2/chat,["question"]']);
 * acks.get(0)?.("yes");
 * assert.deepEqual(answers, ["yes"]);
 * ```
 *
 * @module
 */

export { Adapter, type AdapterEvents, type AdapterOptions } from "./adapter.ts";
export { ClusterAdapter } from "./cluster.ts";
export { decodeMessage, encodeMessage } from "./cluster_codec.ts";
export {
  checkMessage,
  type ClusterBroadcastOptions,
  type ClusterEnvelope,
  type ClusterMessage,
  type ClusterSignal,
  type ForwardedRequest,
  type ForwardedResponse,
  MessageType,
  type RelayFrame,
  type RelayLink,
  type RelayListener,
} from "./cluster_message.ts";
export {
  CLUSTER_DEFAULTS,
  type ClusterAdapterOptions,
  type ClusterTimers,
} from "./cluster_options.ts";
// What the adapter's public types mention, so this entry point documents itself whole.
export * from "../parser/emitter.ts";
export { type Packet, PacketType } from "../parser/socket_packet.ts";
export type {
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  PersistedSession,
  RestoredSession,
  Room,
  SocketDetails,
  SocketId,
} from "./types.ts";
