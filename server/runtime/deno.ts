/**
 * Deno and Deno Deploy: WebSocket upgrades through `Deno.upgradeWebSocket`.
 *
 * @example An Engine.IO echo server on Deno
 * ```ts ignore
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 * Deno.serve(engine.fetch);
 * ```
 *
 * @module
 */

import { EngineError, EngineErrorCode } from "../engine/errors.ts";
import type { WebSocketHandler, WebSocketUpgrader } from "../engine/websocket_like.ts";

/**
 * Upgrades a request with `Deno.upgradeWebSocket` and feeds the socket's events to the engine.
 *
 * @param request The upgrade request.
 * @param handler The engine's handler for the socket.
 * @param headers Headers to add to the `101` response.
 * @returns The `101` response.
 *
 * @example
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.close();
 * ```
 */
export const upgradeWebSocket: WebSocketUpgrader = (
  request: Request,
  handler: WebSocketHandler,
  headers: Headers,
): Response => {
  let upgraded;
  try {
    // The engine's own ping/pong finds dead peers: Deno's idle timeout would only add a timer
    // armed and cancelled on every message.
    upgraded = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
  } catch (error) {
    // Not a valid WebSocket handshake (no key, wrong version): the client's fault, not ours.
    throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "UPGRADE_FAILED", error });
  }
  const { socket, response } = upgraded;
  for (const [name, value] of headers) response.headers.append(name, value);
  listen(socket, handler);
  return response;
};

// Kept out of the upgrader so the listeners' closures hold the socket and handler only, not the
// 101 response and its headers, for the life of the connection.
function listen(socket: WebSocket, handler: WebSocketHandler): void {
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => handler.onOpen(socket));
  socket.addEventListener("message", (event) => handler.onMessage(event.data));
  socket.addEventListener("close", (event) => handler.onClose(event.code, event.reason));
  socket.addEventListener("error", (event) => handler.onError(event));
}
