// A raw Socket.IO v5 client over the raw Engine.IO client of engine_ws.ts: open the Engine.IO
// session, send a CONNECT packet (`40`, or `40/nsp,`), await the server's `40{"sid":...}`, then
// hand every packet to the caller as it came (`42[...]` events, `43<id>[...]` acks). Pings are
// answered underneath. Scenarios build and match packets as strings: no parser, so the
// generator spends its CPU on frames, not on encoding.

import { type EngineSocket, openEngineSocket } from "./engine_ws.ts";

/** A socket connected to one namespace. */
export interface SocketIoClient {
  /** The Engine.IO session underneath (`send` takes a whole packet: `42[...]`). */
  readonly engine: EngineSocket;
  /** The Socket.IO id from the CONNECT answer. */
  readonly sid: string;
}

/**
 * The WebSocket URL of a server's Socket.IO endpoint.
 *
 * @param base `http://host:port`.
 * @returns `ws://host:port/socket.io/?EIO=4&transport=websocket`.
 */
export function socketIoWsUrl(base: string): string {
  return `${base.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`;
}

/**
 * The prefix of a namespace's packets after the type digit: nothing for `/`, else `/nsp,`.
 *
 * @param nsp The namespace.
 * @returns The prefix.
 */
export function nspPrefix(nsp: string): string {
  return nsp === "/" ? "" : `${nsp},`;
}

/**
 * Opens a session and connects it to a namespace.
 *
 * @param url From {@linkcode socketIoWsUrl}.
 * @param nsp The namespace (`/` by default).
 * @param timeoutMs How long the handshake, the open packet and the CONNECT answer may take.
 * @returns The connected socket.
 * @throws {Error} On a refused connection, a refused CONNECT, an early close or a timeout.
 */
export async function openSocketIo(
  url: string,
  nsp = "/",
  timeoutMs = 10000,
): Promise<SocketIoClient> {
  const started = performance.now();
  const engine = await openEngineSocket(url, timeoutMs);
  const prefix = `40${nspPrefix(nsp)}`;
  const answer = Promise.withResolvers<string>();
  engine.onMessage = (packet) => {
    // `4` (message) + `0` (CONNECT) + `/nsp,` + `{"sid":...}`; `44` is a CONNECT_ERROR.
    if (packet.startsWith(`${prefix}{`)) answer.resolve(packet.slice(prefix.length));
    else answer.reject(new Error(`no CONNECT answer: ${packet.slice(0, 60)}`));
  };
  engine.onLost = () => answer.reject(new Error("closed before the CONNECT answer"));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const remaining = Math.max(1, timeoutMs - (performance.now() - started));
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not connected within ${timeoutMs} ms`)), remaining);
  });
  engine.send(prefix);
  try {
    const { sid } = JSON.parse(await Promise.race([answer.promise, timeout])) as { sid: string };
    return { engine, sid };
  } catch (error) {
    await engine.close(1000);
    throw error;
  } finally {
    clearTimeout(timer);
    engine.onMessage = () => {};
    engine.onLost = () => {};
  }
}

/**
 * Connects `count` sockets to `/`, at most `concurrency` handshakes at a time.
 *
 * @param url From {@linkcode socketIoWsUrl}.
 * @param count How many.
 * @param concurrency How many handshakes may be under way at once.
 * @param timeoutMs Per handshake.
 * @returns The sockets that connected, and how many failed.
 */
export async function connectMany(
  url: string,
  count: number,
  concurrency: number,
  timeoutMs = 10000,
): Promise<{ sockets: SocketIoClient[]; errors: number }> {
  const sockets: SocketIoClient[] = [];
  let next = 0;
  let errors = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      try {
        sockets.push(await openSocketIo(url, "/", timeoutMs));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { sockets, errors };
}

/**
 * Closes sockets, all at once, waiting at most `timeoutMs` for them.
 *
 * @param sockets The sockets.
 * @param timeoutMs The longest wait.
 */
export async function disconnectAll(sockets: SocketIoClient[], timeoutMs = 10000): Promise<void> {
  await Promise.all(sockets.map((s) => s.engine.close(timeoutMs)));
}
