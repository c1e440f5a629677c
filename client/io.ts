/**
 * `io(url, options)`: a socket for the URL's namespace over a cached, shared connection.
 *
 * @module
 */

import { Manager } from "./manager.ts";
import type { LookupOptions } from "./options.ts";
import type { Socket } from "./socket.ts";
import type { DefaultEventsMap, EventsMap } from "../parser/typed_events.ts";

const cache = new Map<string, Manager>();

/**
 * Connects to a namespace: `io("https://example.com/admin")`. Sockets to the same origin share
 * one connection unless `forceNew` or `multiplex: false`; without a URL the page's origin is used.
 *
 * @example Connect and exchange an event
 * ```ts
 * import { io } from "@edgeio/edgeio/client";
 * import { Server } from "@edgeio/edgeio";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 * import assert from "node:assert/strict";
 *
 * const server = new Server({ upgradeWebSocket });
 * server.on("connection", (s) => s.emit("welcome", s.id));
 * const http = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, server.fetch);
 * const socket = io(`http://127.0.0.1:${http.addr.port}`);
 * const id = await new Promise((resolve) => socket.on("welcome", resolve));
 * assert.equal(id, socket.id);
 * socket.disconnect();
 * await server.close();
 * await http.shutdown();
 * ```
 *
 * @param uri The server URL; its path is the namespace.
 * @param opts Options for the manager and the socket.
 * @returns The socket.
 */
export function io<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(uri?: string | LookupOptions, opts?: LookupOptions): Socket<ListenEvents, EmitEvents> {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  opts = { ...opts };
  const url = new URL(uri ?? "/", (globalThis as { location?: { href: string } }).location?.href);
  const port = url.port || (url.protocol === "https:" || url.protocol === "wss:" ? "443" : "80");
  const id = `${url.protocol}//${url.hostname}:${port}`;
  const nsp = url.pathname;
  let manager = cache.get(id);
  if (opts.forceNew || opts.multiplex === false || manager?._has(nsp)) {
    manager = new Manager(url.href, opts);
  } else if (!manager) {
    cache.set(id, manager = new Manager(url.href, opts));
  }
  return manager.socket(nsp, opts) as unknown as Socket<ListenEvents, EmitEvents>;
}
