// The official Socket.IO v2-era parsers, resolved from this folder's own package.json (an npm
// workspace) so they can sit beside the current versions without npm aliases, which Deno's
// lockfile cannot read.
export { default as engineIoParserV3 } from "engine.io-parser";
export { default as socketIoParserV3 } from "socket.io-parser";
export { default as engineIoClientV3 } from "engine.io-client";
export { default as socketIoClientV2 } from "socket.io-client";

import socketIoClient from "socket.io-client";

/** What the tests use of a socket.io-client 2.x socket (the package ships no types we load). */
export interface V2Socket {
  id: string;
  connected: boolean;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  close(): void;
  io: { engine: { id: string; on(event: string, fn: () => void): unknown } };
}

/** socket.io-client 2.x's `io()`, typed. */
export const connectV2 = socketIoClient as unknown as (
  url: string,
  opts: Record<string, unknown>,
) => V2Socket;
