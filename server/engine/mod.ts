/**
 * The Engine.IO server: sessions, long-polling and WebSocket transports, heartbeats, upgrades,
 * limits and CORS, behind a Web-standard fetch handler. It knows no runtime and no namespace.
 *
 * @module
 */

export * from "./cookie.ts";
export * from "./cors.ts";
export * from "./errors.ts";
export * from "./options.ts";
export * from "./read_body.ts";
export * from "./server.ts";
export {
  type CloseReason,
  type MessageData,
  type SendOptions,
  Session,
  type SessionEvents,
  type SessionHost,
} from "./session.ts";
export * from "./session_id.ts";
export * from "./websocket_like.ts";
