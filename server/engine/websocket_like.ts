/**
 * The runtime seam: what a runtime file gives the engine for one WebSocket, and the handler the
 * engine gives back. Each runtime (Deno, Workers, Bun, Node) adapts its native socket to this.
 *
 * @module
 */

/** The few members of a WebSocket the engine uses. A browser-style `WebSocket` fits as is. */
export interface WebSocketLike {
  /** Sends one frame: text, or binary. */
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** `0` connecting, `1` open, `2` closing, `3` closed. */
  readonly readyState: number;
}

/** The engine's side of one WebSocket: the runtime file calls these as events happen. */
export interface WebSocketHandler {
  /** The socket is open (on Workers: it was accepted). */
  onOpen(socket: WebSocketLike): void;
  /** A frame arrived: text as a string, binary as bytes. */
  onMessage(data: string | ArrayBuffer | ArrayBufferView): void;
  /** The socket closed. */
  onClose(code: number, reason: string): void;
  /** The socket failed; a close follows or is implied. */
  onError(error: unknown): void;
}

/**
 * Upgrades a request to a WebSocket the runtime's way, wires the socket's events to `handler`,
 * and returns the response that completes the upgrade (`101`, or on Bun a marker response the
 * Bun handler turns into `undefined`).
 *
 * @param request The upgrade request, already accepted by the engine.
 * @param handler The engine's handler for this socket.
 * @param headers Headers to add to the upgrade response, where the runtime allows it.
 * @returns The upgrade response.
 * @throws {EngineError} With code 3 (`BAD_REQUEST`) when the runtime refuses the handshake
 * (no `Sec-WebSocket-Key`, a bad version): the engine answers it as a failed upgrade.
 */
export type WebSocketUpgrader = (
  request: Request,
  handler: WebSocketHandler,
  headers: Headers,
) => Response | Promise<Response>;
