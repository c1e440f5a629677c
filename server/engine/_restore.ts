// The engine's hook for a Durable Object's hibernation mode: a session made again on its
// still-open WebSocket after the object was evicted, registered without a `connection` event.
// Set by EngineServer (a static block, for its private fields); internal to edgeio.

import type { EngineServer } from "./server.ts";
import type { Session } from "./session.ts";
import type { WebSocketHandler, WebSocketLike } from "./websocket_like.ts";

/** Makes a session again on its WebSocket; returns it and the handler to feed events to. */
export type RestoreSession = (
  engine: EngineServer,
  id: string,
  socket: WebSocketLike,
  request: Request,
  info: { protocol: 3 | 4; remoteAddress: string },
) => { session: Session; handler: WebSocketHandler };

/** The hook, set once server.ts is loaded. */
export const engineHooks: { restore?: RestoreSession } = {};
