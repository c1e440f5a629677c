/**
 * Bun: WebSocket upgrades through `server.upgrade()`, and the options object for `Bun.serve`.
 *
 * Bun upgrades inside its own `fetch(request, server)` and wants `undefined` back once it has,
 * while the engine upgrades from inside its `fetch` and wants a `Response`. {@linkcode bunHandler}
 * bridges the two: it remembers the Bun server of each request for {@linkcode upgradeWebSocket},
 * and turns the marker response the upgrade returns into `undefined`. It also sets Bun's idle
 * timeouts above the engine's heartbeat, since Bun's HTTP default (10 s) would cut a long-polling
 * GET that the engine parks for up to `pingInterval` (25 s by default).
 *
 * @example An Engine.IO echo server on Bun
 * ```ts ignore
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { bunHandler, upgradeWebSocket } from "@edgeio/edgeio/bun";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 * Bun.serve({ port: 3000, ...bunHandler(engine) });
 * ```
 *
 * @module
 */

import type { ConnectionInfo } from "../engine/server.ts";
import { EngineError, EngineErrorCode } from "../engine/errors.ts";
import { ENGINE_DEFAULTS } from "../engine/options.ts";
import type {
  WebSocketHandler,
  WebSocketLike,
  WebSocketUpgrader,
} from "../engine/websocket_like.ts";

/** The members of Bun's `Server` this module uses (the second argument of Bun's `fetch`). */
export interface BunServer {
  /** Upgrades the request to a WebSocket; `false` when it is not a valid upgrade request. */
  upgrade(request: Request, options: { data: unknown; headers: HeadersInit }): boolean;
  /** The peer's address, or `null` when it is not known (e.g. over a Unix socket). */
  requestIP(request: Request): { address: string } | null;
}

/** The members of Bun's `ServerWebSocket` this module uses. */
export interface BunServerWebSocket {
  /** What `server.upgrade()` attached to the socket. */
  readonly data: unknown;
  /** `0` connecting, `1` open, `2` closing, `3` closed, as on a browser WebSocket. */
  readonly readyState: number;
  /** How binary messages arrive; Node's `Buffer` by default. */
  binaryType?: "nodebuffer" | "arraybuffer" | "uint8array";
  /** Sends one frame; returns `-1` on backpressure, `0` when dropped, else the bytes sent. */
  send(data: string | ArrayBuffer | ArrayBufferView): number;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
}

/** The `websocket` member of the `Bun.serve` options made by {@linkcode bunHandler}. */
export interface BunWebSocketHandler {
  /** Hands the opened socket to the engine. */
  open(ws: BunServerWebSocket): void;
  /** Hands a frame to the engine: text as a string, binary as a `Uint8Array`. */
  message(ws: BunServerWebSocket, message: string | Uint8Array): void;
  /** Tells the engine the socket closed. */
  close(ws: BunServerWebSocket, code: number, reason: string): void;
  /** Seconds a WebSocket may stay silent before Bun closes it; `0` never. */
  idleTimeout: number;
  /** The largest frame Bun accepts, in bytes; the engine applies its own, smaller limit. */
  maxPayloadLength: number;
}

/** What {@linkcode bunHandler} returns: spread it into the `Bun.serve` options. */
export interface BunServeOptions {
  /** Bun's fetch handler: the engine's response, or `undefined` after an upgrade. */
  fetch(request: Request, server: BunServer): Promise<Response | undefined>;
  /** Bun's WebSocket handler, feeding the engine. */
  websocket: BunWebSocketHandler;
  /** Seconds an HTTP connection (or a pending response) may stay idle; `0` never. */
  idleTimeout: number;
}

/** What {@linkcode bunHandler} serves: an `EngineServer`, or anything with its `fetch`. */
export interface FetchHandler {
  /** Answers a request; `info` carries the peer's address. */
  fetch(request: Request, info?: ConnectionInfo): Response | Promise<Response>;
  /** The engine's options, read (when present) to size the idle timeouts. */
  readonly options?: EngineLimits | object;
  /** A Socket.IO `Server`'s engine, whose options are read instead when present. */
  readonly engine?: { readonly options: EngineLimits };
}

/** The engine options {@linkcode bunHandler} sizes Bun's limits from. */
export interface EngineLimits {
  /** Milliseconds between the server's pings. */
  readonly pingInterval?: number;
  /** Milliseconds the server waits for a pong. */
  readonly pingTimeout?: number;
  /** The largest message the engine accepts, in bytes. */
  readonly maxHttpBufferSize?: number;
}

// The engine options of an EngineServer, or of a Socket.IO Server's engine.
function limitsOf(handler: FetchHandler): EngineLimits {
  return handler.engine?.options ?? (handler.options as EngineLimits | undefined) ?? {};
}

/** Options of {@linkcode bunHandler}. */
export interface BunHandlerOptions {
  /**
   * Seconds an HTTP connection may stay idle, `0` to never time out, at most 255 (Bun's limit).
   * A parked long-polling GET counts as idle, so this must exceed the engine's heartbeat.
   * @default {`pingInterval + pingTimeout` of the handler's options in seconds, plus 5, at least 10}
   */
  idleTimeout?: number;
  /**
   * Seconds a WebSocket may go without a frame, `0` to never time out, at most 960 (Bun's limit).
   * @default {The same heartbeat-based value, at least Bun's own default of 120}
   */
  websocketIdleTimeout?: number;
}

// Bun's own limits and defaults (seconds, bytes).
const BUN_HTTP_IDLE = { min: 10, max: 255 };
const BUN_WS_IDLE = { min: 120, max: 960 };
const BUN_MAX_PAYLOAD = 16 * 1024 * 1024;
// Slack on top of the engine's heartbeat: Bun checks timeouts on a 4-second tick, so a timeout
// can fire up to 4 s early, and the client needs a round trip.
const MARGIN_SECONDS = 5;

// The Bun server of each request in flight through a bunHandler() fetch, for the upgrade.
const servers = new WeakMap<Request, BunServer>();
// Responses that stand for "Bun upgraded this request"; bunHandler() answers them with undefined.
const upgraded = new WeakSet<Response>();

// What travels in `data` from `server.upgrade()` to the socket's events.
class Connection {
  constructor(readonly handler: WebSocketHandler) {}
}

const connectionOf = (ws: BunServerWebSocket): Connection | undefined =>
  ws.data instanceof Connection ? ws.data : undefined;

/**
 * Upgrades a request with Bun's `server.upgrade()` and feeds the socket's events to the engine.
 * Works only for requests that came through {@linkcode bunHandler}, which knows their server.
 *
 * @param request The upgrade request.
 * @param handler The engine's handler for the socket.
 * @param headers Headers to add to the `101` response.
 * @returns A marker response that `bunHandler` turns into `undefined`, as Bun wants after an
 *   upgrade.
 * @throws {EngineError} Code 3 (`Bad request`, answered with `400`) when Bun refuses the
 *   upgrade, e.g. without a `Sec-WebSocket-Key`.
 * @throws {TypeError} When the request did not come through `bunHandler`.
 *
 * @example
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/bun";
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
  const server = servers.get(request);
  if (!server) {
    throw new TypeError(
      "Cannot upgrade to a WebSocket: the request did not come through bunHandler()",
    );
  }
  // Bun calls `open` inside `server.upgrade()`, before this returns; the handler is ready.
  if (!server.upgrade(request, { data: new Connection(handler), headers })) {
    // The engine answers this like its own refusals, and tells `connection_error` listeners.
    throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "BUN_UPGRADE_FAILED" });
  }
  const marker = new Response(null, { status: 200 });
  upgraded.add(marker);
  return marker;
};

/**
 * Makes the `Bun.serve` options that serve `handler` (a Socket.IO `Server` or an `EngineServer`)
 * over HTTP and WebSocket: `fetch`, `websocket`, and idle timeouts sized to the engine's heartbeat.
 *
 * @param handler The server or engine, built with `upgradeWebSocket` from this module.
 * @param options Idle timeouts, when the computed ones do not fit.
 * @returns The options to spread into `Bun.serve`.
 * @throws {RangeError} On an idle timeout out of Bun's range.
 *
 * @example The timeouts follow the engine's heartbeat
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { bunHandler, upgradeWebSocket } from "@edgeio/edgeio/bun";
 * import assert from "node:assert/strict";
 *
 * const engine = new EngineServer({ upgradeWebSocket, pingInterval: 25000, pingTimeout: 20000 });
 * const options = bunHandler(engine);
 * assert.equal(options.idleTimeout, 50); // Bun's default of 10 s would cut parked polls
 * assert.equal(options.websocket.idleTimeout, 120);
 * assert.equal(bunHandler(engine, { idleTimeout: 0 }).idleTimeout, 0);
 * engine.close();
 * // Bun.serve({ port: 3000, ...options });
 * ```
 *
 * @example A Socket.IO server is passed as it is
 * ```ts
 * import { Server } from "@edgeio/edgeio";
 * import { bunHandler, upgradeWebSocket } from "@edgeio/edgeio/bun";
 * import assert from "node:assert/strict";
 *
 * const io = new Server({ upgradeWebSocket, pingInterval: 10000, pingTimeout: 5000 });
 * assert.equal(bunHandler(io).idleTimeout, 20);
 * await io.close();
 * // Bun.serve({ port: 3000, ...bunHandler(io) });
 * ```
 */
export function bunHandler(
  handler: FetchHandler,
  options: BunHandlerOptions = {},
): BunServeOptions {
  const heartbeat = heartbeatSeconds(handler);
  const idleTimeout = options.idleTimeout === undefined
    ? fit(heartbeat, BUN_HTTP_IDLE)
    : seconds("idleTimeout", options.idleTimeout, BUN_HTTP_IDLE.max);
  const websocketIdleTimeout = options.websocketIdleTimeout === undefined
    ? fit(heartbeat, BUN_WS_IDLE)
    : seconds("websocketIdleTimeout", options.websocketIdleTimeout, BUN_WS_IDLE.max);
  const maxHttpBufferSize = limitsOf(handler).maxHttpBufferSize ??
    ENGINE_DEFAULTS.maxHttpBufferSize;
  return {
    fetch: async (request, server) => {
      servers.set(request, server);
      try {
        const address = server.requestIP(request)?.address;
        const info: ConnectionInfo = address === undefined
          ? {}
          : { remoteAddr: { hostname: address } };
        const response = await handler.fetch(request, info);
        return upgraded.has(response) ? undefined : response;
      } finally {
        servers.delete(request);
      }
    },
    websocket: {
      open(ws) {
        // Plain Uint8Arrays that own their memory, not Node Buffers, reach the engine's users.
        ws.binaryType = "uint8array";
        connectionOf(ws)?.handler.onOpen(adapt(ws));
      },
      message(ws, message) {
        connectionOf(ws)?.handler.onMessage(message);
      },
      close(ws, code, reason) {
        connectionOf(ws)?.handler.onClose(code, reason);
      },
      idleTimeout: websocketIdleTimeout,
      // Bun's limit must not undercut the engine's: the engine closes with 1009 itself.
      maxPayloadLength: Math.max(BUN_MAX_PAYLOAD, Math.ceil(maxHttpBufferSize) + 1),
    },
    idleTimeout,
  };
}

// Bun's ServerWebSocket as the engine sees it. Bun reports a dropped frame by returning 0
// instead of throwing; throwing here lets the engine close the session with "write error".
function adapt(ws: BunServerWebSocket): WebSocketLike {
  return {
    get readyState() {
      return ws.readyState;
    },
    send(data) {
      if (ws.send(data) === 0) {
        throw new Error("Cannot send on the WebSocket: Bun dropped the frame");
      }
    },
    close(code, reason) {
      if (code === undefined) ws.close();
      else ws.close(code, reason);
    },
  };
}

// The longest a client may legitimately stay silent, in whole seconds with slack: a parked GET
// waits up to pingInterval for the next ping, and the client may take pingTimeout to answer.
function heartbeatSeconds(handler: FetchHandler): number {
  const { pingInterval = ENGINE_DEFAULTS.pingInterval, pingTimeout = ENGINE_DEFAULTS.pingTimeout } =
    limitsOf(handler);
  return Math.ceil((pingInterval + pingTimeout) / 1000) + MARGIN_SECONDS;
}

// Never below Bun's default; beyond Bun's maximum no finite timeout is safe, so none (0).
function fit(wanted: number, range: { min: number; max: number }): number {
  const value = Math.max(wanted, range.min);
  return value > range.max ? 0 : value;
}

function seconds(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `Cannot create Bun handler: ${name} must be an integer from 0 to ${max}, got ${value}`,
    );
  }
  return value;
}
