/**
 * The Socket.IO client for browsers, Deno, Workers, Bun and Node: `io(url)` gives a socket
 * with the API of socket.io-client 4 (acks, timeouts, retries, reconnection, connection state
 * recovery, typed events). Polling runs over `fetch` and websocket over the global `WebSocket`,
 * so it needs no `XMLHttpRequest`. This module is browser compatible.
 *
 * @example Connect to a server and wait for the connection
 * ```ts
 * import { io } from "@edgeio/edgeio/client";
 * import { Server } from "@edgeio/edgeio";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 * import assert from "node:assert/strict";
 *
 * const server = new Server({ upgradeWebSocket });
 * const http = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, server.fetch);
 * const socket = io(`http://127.0.0.1:${http.addr.port}`, { transports: ["websocket"] });
 * await new Promise((resolve) => socket.on("connect", () => resolve(undefined)));
 * assert.equal(socket.connected, true);
 * socket.disconnect();
 * await server.close();
 * await http.shutdown();
 * ```
 *
 * @module
 */

import { io } from "./io.ts";

export * from "./io.ts";
export * from "./manager.ts";
export * from "./socket.ts";
export * from "./backoff.ts";
export * from "./options.ts";
export * from "./engine/socket.ts";
export * from "./engine/options.ts";
export * from "./engine/transport.ts";
export * from "../parser/socket_packet.ts";
export * from "../parser/engine_packet.ts";
export * from "../parser/binary.ts";
export * from "../parser/custom_parser.ts";
export * from "../parser/emitter.ts";
export * from "../parser/strict_event_emitter.ts";
export * from "../parser/typed_events.ts";

/**
 * Alias of {@linkcode io}, as socket.io-client exports it.
 *
 * @example
 * ```ts
 * import { connect, io } from "@edgeio/edgeio/client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(connect, io);
 * ```
 */
export const connect: typeof io = io;

export default io;
