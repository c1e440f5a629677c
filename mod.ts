/**
 * edgeio: Socket.IO for the edge. The same wire protocol and API as socket.io, on Deno,
 * Deno Deploy, Cloudflare Workers, Bun and Node, behind a Web-standard fetch handler.
 *
 * This entry point grows into the server API; today it carries the protocol layer, also
 * available alone at `@edgeio/edgeio/parser`.
 *
 * @example Encode an event as the wire carries it
 * ```ts
 * import { parser } from "@edgeio/edgeio";
 * import assert from "node:assert/strict";
 *
 * const [frame] = new parser.Encoder().encode({ type: parser.PacketType.EVENT, nsp: "/", data: ["hi"] });
 * assert.equal(frame, '2["hi"]');
 * ```
 *
 * @module
 */

export * as parser from "./parser/mod.ts";
