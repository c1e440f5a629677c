/**
 * The Engine.IO (v4, and v3 for old clients) and Socket.IO (v5, and v4 for old clients)
 * protocols: packets, payloads and binary attachments. Pure code with no I/O; this module is
 * browser compatible.
 *
 * @example Encode an event for a WebSocket, and decode it back
 * ```ts
 * import { decodePacket, Decoder, encodePacket, Encoder, PacketType } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * const [text] = new Encoder().encode({ type: PacketType.EVENT, nsp: "/", data: ["hi", 1] });
 * const frame = encodePacket({ type: "message", data: text as string });
 * assert.equal(frame, '42["hi",1]');
 *
 * const { data } = decodePacket(frame as string);
 * const packet = new Decoder().add(data as string);
 * assert.deepEqual(packet, { type: PacketType.EVENT, nsp: "/", data: ["hi", 1] });
 * ```
 *
 * @module
 */

export * from "./attachments.ts";
export * from "./base64.ts";
export * from "./binary.ts";
export * from "./custom_parser.ts";
export * from "./emitter.ts";
export * from "./engine_packet.ts";
export * from "./engine_v3.ts";
export * from "./socket_decoder.ts";
export * from "./socket_encoder.ts";
export * from "./socket_packet.ts";
export type * from "./typed_events.ts";
export * from "./strict_event_emitter.ts";
