// What a hibernating Durable Object keeps in each WebSocket's attachment, and how a connection is
// made again from it after the object was evicted: the Engine.IO session (same sid, on the same
// WebSocket, no handshake) and its Socket.IO sockets (same ids, rooms, `data`, no CONNECT packet).

import { Client, clientInternals } from "../client.ts";
import { engineHooks } from "../engine/_restore.ts";
import "../engine/server.ts";
import type { Session } from "../engine/session.ts";
import type { WebSocketHandler, WebSocketLike } from "../engine/websocket_like.ts";
import type { Server } from "../io_server.ts";
import { Socket } from "../socket.ts";

/** Cloudflare's limit on one attachment, serialized (workerd: "cannot be larger than 2048"). */
export const ATTACHMENT_LIMIT = 2048;
// The serializer's header and the string's tag and length (measured: 5 bytes for a string).
const OVERHEAD = 8;

/** One Socket.IO socket, as saved. */
interface SavedSocket {
  /** Namespace. */
  n: string;
  /** Socket id. */
  i: string;
  /** Rooms besides the socket's own. */
  r: string[];
  /** `socket.data`. */
  d: unknown;
  /** Recovery pid. */
  k?: string;
}

/** One connection, as saved (a JSON string in the attachment). */
export interface SavedConnection {
  v: 1;
  /** Engine.IO session id. */
  sid: string;
  /** Engine.IO protocol. */
  p: 3 | 4;
  /** The handshake URL. */
  u: string;
  /** The client's address. */
  a: string;
  /** When the handshake happened (ms since the epoch). */
  t?: number;
  /** The sockets; absent when they could not be saved (the connection is closed on restore). */
  s?: SavedSocket[];
}

/**
 * Given to a socket's `error` listeners when a hibernating Durable Object cannot save its
 * connection (its rooms and `socket.data` do not fit in the 2048-byte WebSocket attachment, or
 * `data` is not JSON). The connection works on, but is closed if the object is evicted; the client
 * then reconnects. Reported once until the state fits again.
 *
 * @example
 * ```ts
 * import { HibernationStateError } from "@edgeio/edgeio/workers";
 * import type { Socket } from "@edgeio/edgeio/server";
 *
 * function watch(socket: Socket): void {
 *   socket.on("error", (error: Error) => {
 *     if (error instanceof HibernationStateError) socket.data = { name: socket.data.name };
 *   });
 * }
 * watch;
 * ```
 */
export class HibernationStateError extends Error {
  /**
   * Makes the error.
   *
   * @param message What went wrong.
   * @param options The cause.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HibernationStateError";
  }
}

/** The serialized size of a string in V8's format (one byte per Latin-1 unit, else two). */
export function serializedSize(text: string): number {
  // deno-lint-ignore no-control-regex
  return OVERHEAD + (/^[\u0000-\u00ff]*$/.test(text) ? text.length : text.length * 2);
}

/**
 * The attachment of a session: a JSON string within {@linkcode ATTACHMENT_LIMIT}, or an error and
 * the engine-only form (without sockets) when the sockets' state does not fit or is not JSON.
 */
export function describe(session: Session): { text: string; error?: HibernationStateError } {
  const client = clientInternals.of(session);
  const url = new URL(session.request.url);
  const base: SavedConnection = {
    v: 1,
    sid: session.id,
    p: session.protocol,
    u: url.pathname + url.search,
    a: session.remoteAddress,
  };
  const sockets: SavedSocket[] = [];
  for (const socket of client ? clientInternals.sockets(client) : []) {
    base.t ??= socket.handshake.issued;
    const saved: SavedSocket = {
      n: socket.nsp.name,
      i: socket.id,
      r: [...socket.rooms].filter((room) => room !== socket.id).map(String),
      d: socket.data,
    };
    if (socket.pid !== undefined) saved.k = socket.pid;
    sockets.push(saved);
  }
  let text: string;
  try {
    text = JSON.stringify({ ...base, s: sockets });
  } catch (cause) {
    return {
      text: JSON.stringify(base),
      error: new HibernationStateError("Cannot save socket.data for hibernation: not JSON", {
        cause,
      }),
    };
  }
  const size = serializedSize(text);
  if (size > ATTACHMENT_LIMIT) {
    return {
      text: JSON.stringify(base),
      error: new HibernationStateError(
        `Cannot save the connection for hibernation: its rooms and socket.data take ${size} ` +
          `bytes, over the WebSocket attachment limit of ${ATTACHMENT_LIMIT}; it is closed if ` +
          "the object is evicted",
      ),
    };
  }
  return { text };
}

/** Reads an attachment; undefined when it is not one of ours. */
export function parse(value: unknown): SavedConnection | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const saved = JSON.parse(value) as SavedConnection;
    return saved?.v === 1 && typeof saved.sid === "string" ? saved : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes a connection again on its WebSocket: the session (registered with the engine, no
 * `connection` event), its client, and its sockets, each joined to its rooms with `data` and
 * `recovered` set. {@linkcode announce} then hands the sockets to the listeners.
 *
 * @returns The session, the handler to feed the WebSocket's events to, and the sockets; undefined
 * when the sockets were not saved (the caller closes the WebSocket; the client reconnects).
 */
export async function restore(
  io: Server,
  socket: WebSocketLike,
  saved: SavedConnection,
): Promise<{ session: Session; handler: WebSocketHandler; sockets: Socket[] } | undefined> {
  if (!saved.s) return undefined;
  const request = new Request(new URL(saved.u, "http://hibernated.invalid"));
  const restored = engineHooks.restore!(io.engine, saved.sid, socket, request, {
    protocol: saved.p,
    remoteAddress: saved.a,
  });
  const client = new Client(io, restored.session, true);
  const sockets: Socket[] = [];
  try {
    await restoreSockets(io, client, saved, sockets);
  } catch (error) {
    // Half made: the session closes, and with it the sockets made so far.
    restored.handler.onClose(1011, "Session state lost in hibernation");
    throw error;
  }
  return { ...restored, sockets };
}

async function restoreSockets(
  io: Server,
  client: Client,
  saved: SavedConnection,
  sockets: Socket[],
): Promise<void> {
  for (const entry of saved.s ?? []) {
    const nsp = await io.namespaceFor(entry.n, {}, client);
    if (!nsp) continue;
    const previous = { sid: entry.i, pid: entry.k as string, data: entry.d };
    const ioSocket = new Socket(nsp, client, {}, previous);
    if (typeof saved.t === "number") {
      ioSocket.handshake.issued = saved.t;
      ioSocket.handshake.time = new Date(saved.t).toString();
    }
    nsp.sockets.set(ioSocket.id, ioSocket);
    ioSocket.connectedAtOffset = nsp.adapter.currentOffset();
    ioSocket.connected = true;
    await ioSocket.join([ioSocket.id, ...entry.r]);
    clientInternals.adopt(client, ioSocket);
    sockets.push(ioSocket);
  }
}

/**
 * Hands restored sockets to their namespaces' `connect`/`connection` listeners, once every
 * connection is back in its rooms (so a listener's broadcast reaches all of them).
 */
export function announce(sockets: Socket[]): void {
  for (const socket of sockets) {
    if (socket.connected) socket.nsp.announce(socket);
  }
}
