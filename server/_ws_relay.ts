// WebSocket upgrades without sticky sessions: a client's upgrade that reaches a server which
// does not own its session is asked of the owner over the cluster; when the owner accepts, this
// server upgrades the client's connection and relays its frames both ways (RELAY_FRAME), and the
// owner's session uses a WebSocket-like end of the relay as its transport.

import type { RelayFrame, RelayLink } from "../adapter/_cluster_relays.ts";
import type { ForwardedRequest, ForwardedResponse } from "../adapter/cluster_message.ts";
import type { EngineServer } from "./engine/server.ts";
import { frameTooLarge } from "./engine/websocket.ts";
import type { WebSocketHandler, WebSocketLike } from "./engine/websocket_like.ts";
import {
  type ForwardingAdapter,
  requestFromData,
  requestToData,
  responseFromData,
  responseToData,
} from "./_forward.ts";

/** Frames kept for a client socket not open yet. */
const MAX_BUFFERED_FRAMES = 1000;
/** Bytes (UTF-16 units for text) kept for a client socket not open yet. */
const MAX_BUFFERED_BYTES = 8 << 20;

const OPEN = 1;
const CLOSED = 3;

// Passes on a code a server may send (RFC 6455 7.4: not 1004-1006, 1015, 1016-2999), so the
// client sees what the owner said (1009, 1011...) as it would directly; else, or when the
// runtime refuses it, a close without a code.
function closeWith(socket: WebSocketLike, code: number | undefined, reason: string | undefined) {
  const sendable = code !== undefined &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999));
  try {
    if (sendable) return socket.close(code, reason?.slice(0, 120));
  } catch {
    // The runtime takes fewer codes: closed without one below.
  }
  try {
    socket.close();
  } catch {
    // Closed already.
  }
}

function toFrame(data: string | ArrayBuffer | ArrayBufferView): RelayFrame {
  if (typeof data === "string") return data;
  // A copy: the sender may reuse its buffer once send() returns.
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/**
 * The relay's end on the server that upgraded the client's connection: frames of the client go
 * to the owner, the owner's go to the client (kept, bounded, until the socket opens), and a close
 * on either side closes the other.
 */
export function clientRelay(link: RelayLink, maxPayload = Infinity): WebSocketHandler {
  let socket: WebSocketLike | undefined;
  let buffered: RelayFrame[] = [];
  let bytes = 0;
  let ended: [number | undefined, string | undefined] | undefined;
  link.attach({
    frame: (data) => {
      if (socket) return socket.readyState === OPEN ? socket.send(data) : undefined;
      if (ended) return;
      bytes += typeof data === "string" ? data.length : data.byteLength;
      if (buffered.length >= MAX_BUFFERED_FRAMES || bytes > MAX_BUFFERED_BYTES) {
        buffered = [];
        ended = [undefined, undefined];
        return link.close(1011, "Relay failed: too much to keep before the socket opened");
      }
      buffered.push(data);
    },
    closed: (code, reason) => {
      if (socket) closeWith(socket, code, reason);
      else ended = [code, reason];
    },
  });
  return {
    onOpen: (opened) => {
      socket = opened;
      for (const frame of buffered) opened.send(frame);
      buffered = [];
      if (ended) closeWith(opened, ...ended);
    },
    onMessage: (data) => {
      // Refused here, as the owner's transport would (1009): not carried across the cluster.
      if (!frameTooLarge(data, maxPayload)) return link.send(toFrame(data));
      link.close(1009, "Max payload size exceeded");
      if (socket) closeWith(socket, 1009, "Max payload size exceeded");
    },
    onClose: (code, reason) => link.close(code, reason),
    onError: () => link.close(1011, "Relay failed: websocket error"),
  };
}

/**
 * The relay's end on the owner: a WebSocket-like object the owner's session uses as its
 * transport, opened at once.
 */
function ownerSocket(link: RelayLink, handler: WebSocketHandler): WebSocketLike {
  let state = OPEN;
  const socket: WebSocketLike = {
    get readyState() {
      return state;
    },
    send: (data) => {
      if (state === OPEN) link.send(toFrame(data));
    },
    close: (code, reason) => {
      if (state === CLOSED) return;
      state = CLOSED;
      link.close(code, reason);
      // As a socket does: the close event comes after.
      queueMicrotask(() => handler.onClose(code ?? 1005, reason ?? ""));
    },
  };
  handler.onOpen(socket);
  link.attach({
    frame: (data) => {
      if (state === OPEN) handler.onMessage(data);
    },
    closed: (code, reason) => {
      if (state === CLOSED) return;
      state = CLOSED;
      handler.onClose(code ?? 1005, reason ?? "");
    },
  });
  return socket;
}

/**
 * Answers on the owner an upgrade relayed to it: the engine runs its usual checks; `101` (with
 * the headers of the upgrade) when the session took the relay as its WebSocket.
 */
export async function answerRelay(
  engine: EngineServer,
  data: ForwardedRequest,
  link: RelayLink,
): Promise<ForwardedResponse> {
  let accepted: Headers | undefined;
  const response = await engine.fetchForwarded(
    requestFromData(data),
    (_request, handler, headers) => {
      accepted = headers;
      ownerSocket(link, handler);
      return new Response(null, { status: 204 });
    },
  );
  if (accepted) return { status: 101, headers: [...accepted], body: new Uint8Array() };
  return await responseToData(response);
}

/**
 * Relays an upgrade to its session's owner: the owner's refusal as it would answer it, or this
 * server's upgrade of the client's connection, relayed to the owner.
 */
export async function relayUpgrade(
  adapter: ForwardingAdapter,
  owner: string,
  request: Request,
  upgrade: (handler: WebSocketHandler, headers: Headers) => Response | Promise<Response>,
  timeout: number,
  maxPayload: number,
): Promise<Response> {
  const data = await requestToData(request, 0);
  const { response, link } = await adapter.openRelay(owner, data, timeout);
  if (!link) return responseFromData(response);
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.append(name, value);
  try {
    return await upgrade(clientRelay(link, maxPayload), headers);
  } catch (error) {
    link.close(1011, "Relay failed: the client's upgrade failed");
    throw error;
  }
}
