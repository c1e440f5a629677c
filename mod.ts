/**
 * edgeio: Socket.IO for the edge. The same wire protocol and API as socket.io, on Deno,
 * Deno Deploy, Cloudflare Workers, Bun and Node, behind a Web-standard fetch handler.
 *
 * This entry point is the server API (runtime-neutral: the WebSocket upgrade of each runtime
 * comes from `@edgeio/edgeio/deno`, `/workers`, `/bun` or `/node`). The protocol layer is also
 * available alone at `@edgeio/edgeio/parser`.
 *
 * @example A server, in process
 * ```ts
 * import { Server } from "@edgeio/edgeio";
 * import assert from "node:assert/strict";
 *
 * const io = new Server();
 * io.on("connection", (socket) => socket.on("ping", (ack: (a: string) => void) => ack("pong")));
 * const response = await io.fetch(new Request("http://localhost/socket.io/?EIO=4&transport=polling"));
 * assert.equal(response.status, 200);
 * await io.close();
 * ```
 *
 * @module
 */

export * as parser from "./parser/mod.ts";
export * from "./server/mod.ts";
