// What a message from another server does here: heartbeats and goodbyes, responses to this
// server's requests, and requests (run through the in-memory adapter's own operations, so
// nothing is published again) with the responses they send back.

import type { Packet } from "../parser/socket_packet.ts";
import {
  type ClusterBroadcastOptions,
  type ClusterMessage,
  MessageType,
} from "./cluster_message.ts";
import type { AdapterNamespace, BroadcastOptions, SocketDetails } from "./types.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A message before the adapter stamps its `uid` and `nsp` on it. */
export type Outgoing = DistributiveOmit<ClusterMessage, "uid" | "nsp">;

/** A response to one of this server's requests. */
export type ClusterResponse = Extract<ClusterMessage, {
  type:
    | MessageType.FETCH_SOCKETS_RESPONSE
    | MessageType.SERVER_SIDE_EMIT_RESPONSE
    | MessageType.BROADCAST_CLIENT_COUNT
    | MessageType.BROADCAST_ACK;
}>;

/** What a message from another server may do here. */
export interface MessageHost {
  readonly nsp: AdapterNamespace;
  broadcast(packet: Packet, opts: BroadcastOptions): void;
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
  addSockets(opts: BroadcastOptions, rooms: string[]): void;
  delSockets(opts: BroadcastOptions, rooms: string[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  /** Reports what went wrong after the message was handled. */
  fail(error: unknown): void;
  /** Publishes to every server. */
  publish(body: Outgoing): void;
  /** Sends a response to the server that asked. */
  reply(requesterUid: string, body: Outgoing): void;
  /** Forgets a server that left. */
  removeNode(uid: string): void;
  /** Hands a response to the request it answers (`isAnswer`: the server's one answer). */
  respond(message: ClusterResponse, isAnswer: boolean): void;
  /** Answers a request forwarded to this server (FORWARD_REQUEST addressed here). */
  forwarded(message: Extract<ClusterMessage, { type: MessageType.FORWARD_REQUEST }>): void;
  /** Hands the answer to a request this server forwarded. */
  forwardAnswered(message: Extract<ClusterMessage, { type: MessageType.FORWARD_RESPONSE }>): void;
  /** Takes a WebSocket upgrade relayed to this server (RELAY_OPEN). */
  relayOpened(message: Extract<ClusterMessage, { type: MessageType.RELAY_OPEN }>): void;
  /** Hands a frame or a close to its relay. */
  relayed(
    message: Extract<ClusterMessage, { type: MessageType.RELAY_FRAME | MessageType.RELAY_CLOSE }>,
  ): void;
}

/** Broadcast options as plain data. */
export function encodeOptions(opts: BroadcastOptions): ClusterBroadcastOptions {
  return { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: { ...opts.flags } };
}

/** Broadcast options from plain data. */
export function decodeOptions(opts: ClusterBroadcastOptions): BroadcastOptions {
  return { rooms: new Set(opts.rooms), except: new Set(opts.except), flags: opts.flags };
}

/**
 * Handles a message of another server of this namespace.
 *
 * @param message The message.
 * @param local What it may do here.
 */
export function handleMessage(message: ClusterMessage, local: MessageHost): void {
  const respond = (response: Outgoing) => local.reply(message.uid, response);
  switch (message.type) {
    case MessageType.INITIAL_HEARTBEAT:
      return local.publish({ type: MessageType.HEARTBEAT });
    case MessageType.HEARTBEAT:
      return;
    case MessageType.ADAPTER_CLOSE:
      return local.removeNode(message.uid);
    case MessageType.FETCH_SOCKETS_RESPONSE:
    case MessageType.SERVER_SIDE_EMIT_RESPONSE:
    case MessageType.BROADCAST_CLIENT_COUNT:
      return local.respond(message, true);
    case MessageType.BROADCAST_ACK:
      return local.respond(message, false);
    case MessageType.FORWARD_REQUEST:
      return local.forwarded(message);
    case MessageType.FORWARD_RESPONSE:
      return local.forwardAnswered(message);
    case MessageType.RELAY_OPEN:
      return local.relayOpened(message);
    case MessageType.RELAY_FRAME:
    case MessageType.RELAY_CLOSE:
      return local.relayed(message);
    case MessageType.BROADCAST: {
      const { requestId } = message.data;
      // A copy: delivery sets its ack id and may append an offset, and a transport that passes
      // objects hands the same message to every adapter.
      const packet = { ...message.data.packet };
      const opts = decodeOptions(message.data.opts);
      if (requestId === undefined) return local.broadcast(packet, opts);
      return local.broadcastWithAck(
        packet,
        opts,
        (clientCount) =>
          respond({ type: MessageType.BROADCAST_CLIENT_COUNT, data: { requestId, clientCount } }),
        (...args) =>
          respond({
            type: MessageType.BROADCAST_ACK,
            // socket.io sends the first argument alone; the others travel too when there are.
            data: args.length === 1
              ? { requestId, packet: args[0] }
              : { requestId, packet: args[0], args },
          }),
      );
    }
    case MessageType.SOCKETS_JOIN:
      return local.addSockets(decodeOptions(message.data.opts), message.data.rooms);
    case MessageType.SOCKETS_LEAVE:
      return local.delSockets(decodeOptions(message.data.opts), message.data.rooms);
    case MessageType.DISCONNECT_SOCKETS:
      return local.disconnectSockets(decodeOptions(message.data.opts), message.data.close);
    case MessageType.FETCH_SOCKETS: {
      const { requestId } = message.data;
      local.fetchSockets(decodeOptions(message.data.opts)).then(
        (sockets) =>
          respond({ type: MessageType.FETCH_SOCKETS_RESPONSE, data: { requestId, sockets } }),
        local.fail,
      );
      return;
    }
    case MessageType.SERVER_SIDE_EMIT: {
      const { packet, requestId } = message.data;
      if (requestId === undefined) return local.nsp.onServerSideEmit(packet);
      let answered = false;
      // One answer per server, its first argument, as socket.io sends it.
      const callback = (answer?: unknown) => {
        if (answered) return;
        answered = true;
        respond({
          type: MessageType.SERVER_SIDE_EMIT_RESPONSE,
          data: { requestId, packet: answer },
        });
      };
      return local.nsp.onServerSideEmit([...packet, callback]);
    }
  }
}
