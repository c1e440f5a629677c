// What a message from another server of a mixed fleet does here, as
// @socket.io/redis-adapter 8.3 does it (dist/index.js `onmessage` and `onrequest`): broadcasts
// and requests run through the in-memory adapter's own operations, so nothing is published
// again, and the answers go back the way a Node server sends them.

import { isPlainObject, type Packet } from "../parser/socket_packet.ts";
import { checkArray } from "./_checks.ts";
import {
  base64Msgpack,
  decodeRequest,
  parseOptions,
  RequestType,
} from "./_upstash_node_protocol.ts";
import type { AdapterNamespace, BroadcastOptions, SocketDetails } from "./types.ts";

/** What a message from another server may do here. */
export interface IncomingHost {
  readonly uid: string;
  readonly nsp: AdapterNamespace;
  /** The rooms of this server. */
  readonly rooms: ReadonlyMap<string, unknown>;
  /** `<key>#<nsp>#`. */
  readonly broadcastChannel: string;
  /** Whether `id` is one of this server's own open requests. */
  isOwnRequest(id: unknown): boolean;
  broadcast(packet: Packet, opts: BroadcastOptions): void;
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
  sockets(rooms: Set<string>): Promise<Set<string>>;
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  addSockets(opts: BroadcastOptions, rooms: string[]): void;
  delSockets(opts: BroadcastOptions, rooms: string[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;
  /** Answers `request` where the asker listens. */
  respond(request: Record<string, unknown>, body: Record<string, unknown>): void;
  /** Answers a `serverSideEmit` on the shared response channel, as Node always does. */
  respondShared(body: Record<string, unknown>): void;
}

/**
 * A packet as a Node server sent it: `{ type, data, nsp }`, the namespace `/` when missing.
 *
 * @throws {TypeError} When it is not an object with a numeric type.
 */
export function parsePacket(value: unknown): Packet {
  if (!isPlainObject(value) || typeof value.type !== "number") {
    throw new TypeError("Cannot handle broadcast: the packet must be an object with a type");
  }
  const nsp = value.nsp === undefined ? "/" : String(value.nsp);
  return { type: value.type, nsp, data: value.data };
}

/**
 * A broadcast of another server, `[uid, packet, opts]` in base64 MessagePack, published on
 * `channel`; one to a room this server does not have is skipped without decoding, as Node does.
 *
 * @throws {SyntaxError|TypeError} When the message is malformed.
 */
export function handleBroadcast(channel: string, payload: string, host: IncomingHost): void {
  const room = channel.slice(host.broadcastChannel.length, -1);
  if (room !== "" && !host.rooms.has(room)) return;
  const message = base64Msgpack.decode(payload);
  if (!Array.isArray(message)) throw new SyntaxError("Cannot handle broadcast: not an array");
  const [uid, packet, opts] = message as [unknown, unknown, unknown];
  if (uid === host.uid) return;
  const parsed = parsePacket(packet);
  if (parsed.nsp !== host.nsp.name) return;
  host.broadcast(parsed, parseOptions(opts, true));
}

/**
 * A request of another server (JSON or base64 MessagePack). This server's own requests, which
 * come back on the channel, are ignored; so are unknown types (the pings of edgeio servers).
 *
 * @throws {SyntaxError|TypeError} When the request is malformed.
 */
export async function handleRequest(text: string, host: IncomingHost): Promise<void> {
  const request = decodeRequest(text);
  const { requestId } = request;
  if (request.uid === host.uid || host.isOwnRequest(requestId)) return;
  switch (request.type) {
    case RequestType.SOCKETS: {
      const sockets = await host.sockets(parseOptions({ rooms: request.rooms }, false).rooms);
      return host.respond(request, { requestId, sockets: [...sockets] });
    }
    case RequestType.ALL_ROOMS:
      return host.respond(request, { requestId, rooms: [...host.rooms.keys()] });
    case RequestType.REMOTE_JOIN:
    case RequestType.REMOTE_LEAVE:
    case RequestType.REMOTE_DISCONNECT:
      return await remoteChange(request, host);
    case RequestType.REMOTE_FETCH: {
      const found = await host.fetchSockets(parseOptions(request.opts, false));
      const sockets = found.map(({ id, handshake, rooms, data }) => ({
        id,
        handshake,
        rooms,
        data,
      }));
      return host.respond(request, { requestId, sockets });
    }
    case RequestType.SERVER_SIDE_EMIT:
      return serverSideEmit(request, host);
    case RequestType.BROADCAST:
      return host.broadcastWithAck(
        parsePacket(request.packet),
        parseOptions(request.opts, true),
        (clientCount) =>
          host.respond(request, {
            type: RequestType.BROADCAST_CLIENT_COUNT,
            requestId,
            clientCount,
          }),
        // One answer per client, its first argument, as the Node adapter sends it.
        (answer) =>
          host.respond(request, { type: RequestType.BROADCAST_ACK, requestId, packet: answer }),
      );
  }
}

async function remoteChange(request: Record<string, unknown>, host: IncomingHost): Promise<void> {
  const { type } = request;
  if (request.opts) {
    const opts = parseOptions(request.opts, false);
    if (type === RequestType.REMOTE_DISCONNECT) {
      return host.disconnectSockets(opts, request.close === true);
    }
    checkArray("handle request", "rooms", request.rooms);
    const rooms = request.rooms.map(String);
    if (type === RequestType.REMOTE_JOIN) return host.addSockets(opts, rooms);
    return host.delSockets(opts, rooms);
  }
  // The form for one socket by id, which expects an answer (older Node adapters send it).
  const socket = host.nsp.sockets.get(String(request.sid));
  if (!socket) return;
  if (type === RequestType.REMOTE_JOIN) await socket.join(String(request.room));
  else if (type === RequestType.REMOTE_LEAVE) await socket.leave(String(request.room));
  else socket.disconnect(request.close === true);
  host.respond(request, { requestId: request.requestId });
}

function serverSideEmit(request: Record<string, unknown>, host: IncomingHost): void {
  const { requestId, data } = request;
  checkArray("handle request", "data", data);
  if (requestId === undefined) return host.nsp.onServerSideEmit(data);
  let answered = false;
  // One answer per server, its first argument, as the Node adapter sends it.
  const callback = (answer?: unknown) => {
    if (answered) return;
    answered = true;
    host.respondShared({ type: RequestType.SERVER_SIDE_EMIT, requestId, data: answer });
  };
  host.nsp.onServerSideEmit([...data, callback]);
}
