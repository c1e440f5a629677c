/**
 * Cloudflare Workers: WebSocket upgrades through `WebSocketPair`, a Durable Object that hosts
 * the engine, and a Worker entry that routes every request of a session to the same object.
 *
 * A plain Worker cannot serve Engine.IO: it may not share I/O objects (sockets, streams) between
 * requests, and each request may land on another isolate, so a long-polling session's GET, its
 * POSTs and its upgrade would never meet. A Durable Object is one instance that all of them can
 * reach: the Worker routes the handshake to a shard, the session id names that shard, and every
 * later request of the session goes to the same object — no sticky load balancer needed.
 *
 * @example A Worker with an echo engine in a Durable Object (wrangler.toml binds `ENGINE`)
 * ```ts ignore
 * import type { EngineServer } from "@edgeio/edgeio/server";
 * import { EngineDurableObject, routeToDurableObject } from "@edgeio/edgeio/workers";
 *
 * export class Echo extends EngineDurableObject {
 *   protected override setup(engine: EngineServer): void {
 *     engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 *   }
 * }
 * export default { fetch: routeToDurableObject("ENGINE") };
 * ```
 *
 * @module
 */

import { EngineServer } from "../engine/server.ts";
import { type IoServerOptions, Server } from "../io_server.ts";
import type { EngineOptions } from "../engine/options.ts";
import { generateSessionId } from "../engine/session_id.ts";
import { shardOf } from "./workers_shards.ts";
import type {
  WebSocketHandler,
  WebSocketLike,
  WebSocketUpgrader,
} from "../engine/websocket_like.ts";

interface WorkersWebSocket extends WebSocketLike {
  accept(): void;
  addEventListener(
    type: "message",
    listener: (event: { data: string | ArrayBuffer }) => void,
  ): void;
  addEventListener(
    type: "close",
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}
type WebSocketPairConstructor = new () => { 0: WorkersWebSocket; 1: WorkersWebSocket };

/** The header that tells a Durable Object which shard it is (set by the Worker entry). */
export const SHARD_HEADER = "x-edgeio-shard";

export { shardByQuery, shardOf } from "./workers_shards.ts";

/**
 * Upgrades a request with a `WebSocketPair`: accepts the server side (on Workers, accepting is
 * the open) and answers `101` with the client side.
 *
 * @param request The upgrade request.
 * @param handler The engine's handler for the socket.
 * @param headers Headers to add to the `101` response.
 * @returns The `101` response carrying the client socket.
 *
 * @example
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/workers";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.close();
 * ```
 */
export const upgradeWebSocket: WebSocketUpgrader = (
  _request: Request,
  handler: WebSocketHandler,
  headers: Headers,
): Response => {
  const Pair = (globalThis as unknown as { WebSocketPair: WebSocketPairConstructor }).WebSocketPair;
  const pair = new Pair();
  const client = pair[0];
  const server = pair[1];
  server.accept();
  server.addEventListener("message", (event) => handler.onMessage(event.data));
  server.addEventListener("close", (event) => {
    // workerd does not answer a client's close frame by itself: complete the handshake here.
    try {
      server.close(event.code === 1005 || event.code === 1006 ? 1000 : event.code, event.reason);
    } catch { /* already closed */ }
    handler.onClose(event.code, event.reason);
  });
  server.addEventListener("error", (event) => handler.onError(event));
  handler.onOpen(server);
  return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit);
};

/** The subset of a Durable Object namespace binding the router uses. */
export interface DurableObjectNamespaceLike {
  /** Derives an object id from a name. */
  idFromName(name: string): unknown;
  /** Gets a stub for an id. */
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** Options of {@linkcode routeToDurableObject}. */
export interface RouteOptions {
  /**
   * How many objects sessions are spread over; shards are named `"0"`…`"n-1"`.
   * @default {1}
   */
  shards?: number;
  /** Picks the shard of a new session (a number below `shards`); random by default. */
  pickShard?: (request: Request) => number;
  /**
   * A key of the handshake request (e.g. {@linkcode shardByQuery}`("nsp")`) whose stable hash
   * ({@linkcode shardOf}) picks the shard of a new session, so sessions with the same key share
   * an object; without a key (`undefined`), `pickShard` decides. The Engine.IO handshake does
   * not name a Socket.IO namespace, so to shard by namespace the client passes it, e.g.
   * `io(url + "/chat", { query: { nsp: "/chat" } })`.
   */
  shardKey?: (request: Request) => string | undefined;
}

/**
 * Makes a Worker `fetch` handler that sends each request to the Durable Object of its session:
 * a handshake to the shard of its `shardKey` (or, without one, to a shard picked by
 * `pickShard`), every later request (polls, posts, the upgrade) to the shard its session id
 * names. A session id naming no shard is refused as unknown. Objects that serve one app share
 * broadcasts, rooms, acks and `fetchSockets` through an adapter (e.g. the Upstash one).
 *
 * @param binding The name of the Durable Object namespace binding in `env`.
 * @param options Sharding.
 * @returns The Worker's `fetch` handler.
 * @throws {RangeError} When `shards` is not a positive integer.
 *
 * @example
 * ```ts
 * import { routeToDurableObject, shardByQuery, shardOf } from "@edgeio/edgeio/workers";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const ENGINE = {
 *   idFromName: (name: string) => name,
 *   get: (id: unknown) => ({
 *     fetch: (request: Request) => {
 *       seen.push(`${id} ${request.headers.get("x-edgeio-shard")}`);
 *       return Promise.resolve(new Response("ok"));
 *     },
 *   }),
 * };
 * const fetch = routeToDurableObject("ENGINE", { shards: 4, pickShard: () => 2 });
 * await fetch(new Request("http://x/engine.io/?EIO=4&transport=polling"), { ENGINE });
 * await fetch(new Request("http://x/engine.io/?EIO=4&transport=polling&sid=3.abc"), { ENGINE });
 * assert.deepEqual(seen, ["2 2", "3 3"]);
 *
 * // Sharded by a query parameter: the same key, the same object.
 * const byRoom = routeToDurableObject("ENGINE", { shards: 4, shardKey: shardByQuery("room") });
 * await byRoom(new Request("http://x/engine.io/?EIO=4&transport=polling&room=a"), { ENGINE });
 * assert.equal(seen.at(-1), `${shardOf("a", 4)} ${shardOf("a", 4)}`);
 * ```
 */
export function routeToDurableObject(
  binding: string,
  options: RouteOptions = {},
): (request: Request, env: Record<string, unknown>) => Promise<Response> {
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) {
    throw new RangeError(`Cannot route: shards must be a positive integer, got ${shards}`);
  }
  const pick = options.pickShard ?? (() => Math.floor(Math.random() * shards));
  return async (request, env) => {
    const namespace = env[binding] as DurableObjectNamespaceLike | undefined;
    if (!namespace) throw new TypeError(`Cannot route: no Durable Object binding named ${binding}`);
    const sid = new URL(request.url).searchParams.get("sid");
    let shard: number;
    if (sid === null) {
      const key = options.shardKey?.(request);
      shard = key === undefined ? pick(request) : shardOf(key, shards);
      if (!(Number.isInteger(shard) && shard >= 0 && shard < shards)) {
        throw new RangeError(`Cannot route: pickShard gave ${shard}, not a shard below ${shards}`);
      }
    } else {
      const named = Number(sid.slice(0, sid.indexOf(".")));
      if (!(sid.includes(".") && Number.isInteger(named) && named >= 0 && named < shards)) {
        return unknownSession(request);
      }
      shard = named;
    }
    const headers = new Headers(request.headers);
    headers.set(SHARD_HEADER, String(shard));
    const routed = new Request(request, { headers });
    return await namespace.get(namespace.idFromName(String(shard))).fetch(routed);
  };
}

function unknownSession(request: Request): Response {
  const upgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  const message = "Session ID unknown";
  return upgrade
    ? new Response(message, { status: 400, headers: { "Content-Type": "text/html" } })
    : Response.json({ code: 1, message }, { status: 400 });
}

// Session ids name the object's shard, so routeToDurableObject() finds the object again.
const shardedId = (request: Request) =>
  `${request.headers.get(SHARD_HEADER) ?? "0"}.${generateSessionId()}`;

/**
 * A Durable Object that hosts an Engine.IO server. Subclass it, configure the engine in
 * {@linkcode EngineDurableObject.setup}, export the subclass from the Worker, and route to it
 * with {@linkcode routeToDurableObject}. Session ids start with the object's shard
 * (`<shard>.<random>`) so the router can find the object again.
 *
 * @example
 * ```ts
 * import type { EngineServer } from "@edgeio/edgeio/server";
 * import { EngineDurableObject } from "@edgeio/edgeio/workers";
 *
 * class Echo extends EngineDurableObject {
 *   protected override setup(engine: EngineServer): void {
 *     engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 *   }
 * }
 * const object = new Echo({}, {});
 * object.engine.close();
 * ```
 */
export class EngineDurableObject {
  /** The engine this object hosts. */
  readonly engine: EngineServer;

  /**
   * Builds the engine: no I/O, no timers (Workers forbid I/O outside a request).
   *
   * @param _state The Durable Object state.
   * @param env The Worker's bindings.
   */
  constructor(_state: unknown, env: Record<string, unknown>) {
    this.engine = new EngineServer({
      ...this.engineOptions(env),
      upgradeWebSocket,
      generateId: shardedId,
    });
    this.setup(this.engine, env);
  }

  /**
   * The engine's options; override to change them (`upgradeWebSocket` and `generateId` are set
   * by this class).
   *
   * @param _env The Worker's bindings.
   * @returns Engine options.
   */
  protected engineOptions(_env: Record<string, unknown>): EngineOptions {
    return {};
  }

  /**
   * Configures the engine (listeners); override it.
   *
   * @param _engine The engine.
   * @param _env The Worker's bindings.
   */
  protected setup(_engine: EngineServer, _env: Record<string, unknown>): void {}

  /**
   * Answers a request routed to this object.
   *
   * @param request The request.
   * @returns The engine's response.
   */
  fetch(request: Request): Promise<Response> {
    return this.engine.fetch(request, {
      remoteAddr: { hostname: request.headers.get("cf-connecting-ip") ?? "" },
    });
  }
}

/**
 * A Durable Object that hosts a Socket.IO server. Subclass it, configure the server in
 * {@linkcode SocketIODurableObject.setup}, export the subclass from the Worker, and route to it
 * with {@linkcode routeToDurableObject}.
 *
 * @example
 * ```ts
 * import type { Server } from "@edgeio/edgeio/server";
 * import { SocketIODurableObject } from "@edgeio/edgeio/workers";
 *
 * class Chat extends SocketIODurableObject {
 *   protected override setup(io: Server): void {
 *     io.on("connection", (socket) => socket.on("chat", (text) => io.emit("chat", text)));
 *   }
 * }
 * const object = new Chat({}, {});
 * await object.io.close();
 * ```
 */
export class SocketIODurableObject {
  /** The Socket.IO server this object hosts. */
  readonly io: Server;

  /**
   * Builds the server: no I/O, no timers (Workers forbid I/O outside a request).
   *
   * @param _state The Durable Object state.
   * @param env The Worker's bindings.
   */
  constructor(_state: unknown, env: Record<string, unknown>) {
    this.io = new Server({ ...this.serverOptions(env), upgradeWebSocket, generateId: shardedId });
    this.setup(this.io, env);
  }

  /**
   * The server's options; override to change them (`upgradeWebSocket` and `generateId` are set
   * by this class).
   *
   * @param _env The Worker's bindings.
   * @returns Server options.
   */
  protected serverOptions(_env: Record<string, unknown>): IoServerOptions {
    return {};
  }

  /**
   * Configures the server (namespaces, listeners); override it.
   *
   * @param _io The server.
   * @param _env The Worker's bindings.
   */
  protected setup(_io: Server, _env: Record<string, unknown>): void {}

  /**
   * Answers a request routed to this object.
   *
   * @param request The request.
   * @returns The server's response.
   */
  fetch(request: Request): Promise<Response> {
    return this.io.fetch(request, {
      remoteAddr: { hostname: request.headers.get("cf-connecting-ip") ?? "" },
    });
  }
}

export {
  type HibernatableWebSocket,
  HibernatingSocketIODurableObject,
  type HibernationState,
  HibernationStateError,
} from "./workers_hibernation.ts";
