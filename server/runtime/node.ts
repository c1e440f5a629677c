/**
 * Node.js: serves a fetch handler (an `EngineServer`'s `fetch`) on `node:http`, with WebSocket
 * upgrades through the npm package `ws`.
 *
 * `node:http` hands over a request twice over: `(req, res)` for plain requests and
 * `(req, socket, head)` for upgrades. {@linkcode nodeListener} and
 * {@linkcode nodeUpgradeListener} turn both into a Web `Request` (its body streamed, its `signal`
 * aborted when the client goes away) and write the handler's `Response` back. For an upgrade, the
 * engine calls {@linkcode upgradeWebSocket} from inside the handler: it finds the raw socket of
 * that `Request`, lets `ws` complete the handshake, and returns a marker response the upgrade
 * listener does not write, since the socket already speaks WebSocket.
 *
 * @example An Engine.IO echo server on Node
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { attach, upgradeWebSocket } from "@edgeio/edgeio/node";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 * const server = createServer();
 * attach(server, engine.fetch);
 * server.listen(3000);
 * ```
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { EngineError, EngineErrorCode } from "../engine/errors.ts";
import {
  connectionInfo,
  nodeHeaders,
  pipeBody,
  toBytes,
  toRequest,
  writeRawResponse,
} from "./_node_http.ts";
import type { ConnectionInfo } from "../engine/server.ts";
import type {
  WebSocketHandler,
  WebSocketLike,
  WebSocketUpgrader,
} from "../engine/websocket_like.ts";

// Re-exported so that this module documents itself: its exports name them.
export type { ConnectionInfo, WebSocketHandler, WebSocketLike, WebSocketUpgrader };

/** What the listeners serve: `engine.fetch`, or any handler with the same signature. */
export type NodeFetchHandler = (
  request: Request,
  info: ConnectionInfo,
) => Response | Promise<Response>;

/** Options of {@linkcode nodeListener}, {@linkcode nodeUpgradeListener} and {@linkcode attach}. */
export interface NodeListenerOptions {
  /**
   * The largest WebSocket message `ws` buffers, in bytes, before it closes the socket with 1009.
   * Keep it above the engine's `maxHttpBufferSize`: the engine then applies its own limit (and
   * closes with 1009 itself, naming the reason), while this one still bounds the memory a peer
   * can make `ws` hold for one message. Raise it if `maxHttpBufferSize` ever goes past it.
   * @default {104857600}
   */
  maxPayload?: number;
  /** Called with an error the handler threw (answered with `500`); silent by default. */
  onError?: (error: unknown) => void;
}

// `ws`'s own default (100 MiB), well above the engine's default maxHttpBufferSize (1 MB).
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

// The raw socket of each upgrade request in flight, for upgradeWebSocket().
interface PendingUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  wss: WebSocketServer;
  /** Set once the socket is handed to `ws`: nothing else may be written to it. */
  claimed: boolean;
  /** Drops the listener's own socket listeners before `ws` takes the socket. */
  release(): void;
}
const pendingUpgrades = new WeakMap<Request, PendingUpgrade>();
// Headers the engine wants on each 101 response, added in the `ws` "headers" event.
const handshakeHeaders = new WeakMap<IncomingMessage, Headers>();
// Responses that stand for "ws took this socket over".
const upgradedMarkers = new WeakSet<Response>();
// What `ws` accepts as a Sec-WebSocket-Key: 16 bytes in base64.
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Upgrades a request with `ws` and feeds the socket's events to the engine. Works only for
 * requests that came through {@linkcode nodeUpgradeListener} (or {@linkcode attach}), which keep
 * the raw socket of each request.
 *
 * @param request The upgrade request.
 * @param handler The engine's handler for the socket.
 * @param headers Headers to add to the `101` response.
 * @returns A marker response that the upgrade listener does not write: `ws` has answered.
 * @throws {TypeError} When the request did not come through the upgrade listener.
 * @throws {EngineError} Code 3 (`Bad request`, answered with `400`) when the request is not a
 *   WebSocket handshake `ws` would complete (no valid `Sec-WebSocket-Key`, a bad version).
 *
 * @example
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/node";
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
  const pending = pendingUpgrades.get(request);
  if (!pending || pending.claimed) {
    throw new TypeError(
      "Cannot upgrade to a WebSocket: the request did not come through nodeUpgradeListener()",
    );
  }
  const { req, socket, head, wss } = pending;
  // `ws` would answer these itself; refused here, they reach the engine's connection_error.
  if (!isHandshake(req)) {
    throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "UPGRADE_FAILED" });
  }
  pending.claimed = true;
  pending.release();
  handshakeHeaders.set(req, headers);
  // Without a verifyClient option `ws` completes synchronously, calling back before this returns;
  // when it refuses (e.g. no Sec-WebSocket-Key) it answers 400 itself and never calls back.
  try {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (data, isBinary) => handler.onMessage(isBinary ? bytes(data) : text(data)));
      ws.on("close", (code, reason) => handler.onClose(code, reason.toString()));
      ws.on("error", (error) => handler.onError(error));
      handler.onOpen(adapt(ws));
    });
  } finally {
    handshakeHeaders.delete(req);
  }
  const marker = new Response(null, { status: 200 });
  upgradedMarkers.add(marker);
  return marker;
};

/**
 * Makes a `request` listener for `http.createServer` (or `https`) that serves `handler`. Node
 * hands WebSocket upgrades to this listener too when the server has no `upgrade` listener; they
 * then fail with `500` (the `TypeError` of {@linkcode upgradeWebSocket}, given to `onError`).
 *
 * @param handler The fetch handler, e.g. `engine.fetch`.
 * @param options Error reporting.
 * @returns The listener.
 *
 * @example Plain HTTP (polling); add {@linkcode nodeUpgradeListener} for WebSocket
 * ```ts
 * import { createServer } from "node:http";
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { nodeListener } from "@edgeio/edgeio/node";
 *
 * const engine = new EngineServer();
 * const server = createServer(nodeListener(engine.fetch));
 * // server.listen(3000);
 * ```
 */
export function nodeListener(
  handler: NodeFetchHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const { onError } = resolveOptions(options);
  return (req, res) => {
    serveRequest(handler, req, res, onError).catch((error) => {
      onError(error);
      res.destroy();
    });
  };
}

/**
 * Makes an `upgrade` listener for a `node:http` server that serves `handler`: WebSocket upgrades
 * accepted by the handler (through {@linkcode upgradeWebSocket}) go to `ws`; any other answer,
 * e.g. `400 Session ID unknown`, is written to the socket as HTTP/1.1, which is then closed.
 *
 * @param handler The fetch handler, e.g. `engine.fetch`.
 * @param options The `ws` message size limit, error reporting.
 * @returns The listener.
 * @throws {RangeError} When `maxPayload` is not a positive integer.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { nodeListener, nodeUpgradeListener, upgradeWebSocket } from "@edgeio/edgeio/node";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * const server = createServer(nodeListener(engine.fetch));
 * server.on("upgrade", nodeUpgradeListener(engine.fetch));
 * // server.listen(3000);
 * ```
 */
export function nodeUpgradeListener(
  handler: NodeFetchHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { maxPayload, onError } = resolveOptions(options);
  // `maxPayload` above the engine's maxHttpBufferSize: the engine's own check, which closes
  // with 1009 and reports "payload too large" on the session, is the one that applies; this
  // one only caps what `ws` buffers for one message.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    clientTracking: false,
    perMessageDeflate: false,
  });
  wss.on("headers", (lines, req) => {
    handshakeHeaders.get(req)?.forEach((value, name) => lines.push(`${name}: ${value}`));
  });
  return (req, socket, head) => {
    serveUpgrade(handler, wss, { req, socket, head }, onError).catch((error) => {
      onError(error);
      socket.destroy();
    });
  };
}

/**
 * Serves `handler` on a `node:http` (or `node:https`) server: both its `request` and its
 * `upgrade` events. Give it a server made without a request listener.
 *
 * @param server The server.
 * @param handler The fetch handler, e.g. `engine.fetch`.
 * @param options The `ws` message size limit, error reporting.
 * @returns A function that removes both listeners again.
 * @throws {RangeError} When `maxPayload` is not a positive integer.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { attach, upgradeWebSocket } from "@edgeio/edgeio/node";
 * import assert from "node:assert/strict";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * const server = createServer();
 * const detach = attach(server, engine.fetch);
 * assert.equal(server.listenerCount("upgrade"), 1);
 * // server.listen(3000);
 * detach();
 * ```
 */
export function attach(
  server: Server | HttpsServer,
  handler: NodeFetchHandler,
  options: NodeListenerOptions = {},
): () => void {
  const onRequest = nodeListener(handler, options);
  const onUpgrade = nodeUpgradeListener(handler, options);
  const emitter: EventEmitter = server;
  emitter.on("request", onRequest);
  emitter.on("upgrade", onUpgrade);
  return () => {
    emitter.off("request", onRequest);
    emitter.off("upgrade", onUpgrade);
  };
}

function resolveOptions(options: NodeListenerOptions): Required<NodeListenerOptions> {
  const { maxPayload = DEFAULT_MAX_PAYLOAD, onError = () => {} } = options;
  if (!Number.isSafeInteger(maxPayload) || maxPayload <= 0) {
    throw new RangeError(
      `Cannot create Node listener: maxPayload must be a positive integer, got ${maxPayload}`,
    );
  }
  return { maxPayload, onError };
}

async function serveRequest(
  handler: NodeFetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (error: unknown) => void,
): Promise<void> {
  const controller = new AbortController();
  // A long-polling GET learns here that its client went away (the engine watches the signal).
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  let discardBody = () => {};
  let response: Response;
  try {
    const converted = toRequest(req, controller.signal, true);
    discardBody = converted.discardBody;
    response = await answer(handler, converted.request, req, onError);
  } catch {
    response = new Response("Bad Request", { status: 400 });
  }
  if (res.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const headers = nodeHeaders(response.headers);
  // Answered before the body ended (e.g. 413): close the connection after the response rather
  // than wait for the rest of a body of any size to keep it alive.
  if (!req.complete) headers.connection = "close";
  try {
    if (response.statusText) res.writeHead(response.status, response.statusText, headers);
    else res.writeHead(response.status, headers);
    if (!response.body || await pipeBody(response.body, res)) {
      res.end();
      if (!req.complete) discardBody();
    }
  } catch (error) {
    onError(error);
    res.destroy();
  }
}

async function serveUpgrade(
  handler: NodeFetchHandler,
  wss: WebSocketServer,
  raw: { req: IncomingMessage; socket: Duplex; head: Buffer },
  onError: (error: unknown) => void,
): Promise<void> {
  const { req, socket } = raw;
  const controller = new AbortController();
  const onClose = () => controller.abort();
  // Node stops watching an upgraded socket for errors: an unwatched error would crash the process.
  const onSocketError = () => socket.destroy();
  socket.on("error", onSocketError);
  socket.once("close", onClose);
  const release = () => {
    socket.off("error", onSocketError);
    socket.off("close", onClose);
  };
  const pending: PendingUpgrade = { ...raw, wss, claimed: false, release };
  let response: Response;
  try {
    const { request } = toRequest(req, controller.signal, false);
    pendingUpgrades.set(request, pending);
    try {
      response = await answer(handler, request, req, onError);
    } finally {
      pendingUpgrades.delete(request);
    }
  } catch {
    response = new Response("Bad Request", { status: 400 });
  }
  if (pending.claimed) {
    // `ws` owns the socket; a response other than the marker means the handler failed after.
    if (!upgradedMarkers.has(response)) socket.destroy();
    return;
  }
  release();
  socket.on("error", () => socket.destroy());
  try {
    await writeRawResponse(socket, response);
  } catch (error) {
    onError(error);
    socket.destroy();
  }
}

// The checks of `ws`'s handleUpgrade() that a client can fail, but for Sec-WebSocket-Protocol.
function isHandshake(req: IncomingMessage): boolean {
  const version = Number(req.headers["sec-websocket-version"]);
  return req.method === "GET" && req.headers.upgrade?.toLowerCase() === "websocket" &&
    WEBSOCKET_KEY.test(req.headers["sec-websocket-key"] ?? "") && (version === 13 || version === 8);
}

// The handler's answer; `500` (reported) when it throws or answers with something else.
async function answer(
  handler: NodeFetchHandler,
  request: Request,
  req: IncomingMessage,
  onError: (error: unknown) => void,
): Promise<Response> {
  try {
    const response: unknown = await handler(request, connectionInfo(req));
    if (response instanceof Response) return response;
    throw new TypeError(`Cannot answer the request: the handler returned ${response}`);
  } catch (error) {
    onError(error);
    return new Response("Internal Server Error", { status: 500 });
  }
}

function adapt(ws: WebSocket): WebSocketLike {
  return {
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
}

const decoder = new TextDecoder();

// `ws` (binaryType "nodebuffer") gives a Buffer, or a list of them for fragmented messages.
function bytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : toBytes(data);
}

function text(data: RawData): string {
  return decoder.decode(bytes(data));
}

function concat(chunks: Buffer[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
