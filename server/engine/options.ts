/**
 * Engine.IO server options: every field optional, one frozen defaults object, one function that
 * resolves and validates.
 *
 * @module
 */

import type { CorsOptions } from "./cors.ts";
import type { WebSocketHandler, WebSocketUpgrader } from "./websocket_like.ts";

/** The transports a client may use. */
export type TransportName = "polling" | "websocket";

/** Options of the session cookie (`cookie: true` takes all the defaults). */
export interface CookieOptions {
  /**
   * The cookie's name.
   * @default {"io"}
   */
  name?: string;
  /**
   * The cookie's path.
   * @default {"/"}
   */
  path?: string;
  /**
   * Whether scripts are kept from reading it.
   * @default {true}
   */
  httpOnly?: boolean;
  /**
   * When browsers send it across sites.
   * @default {"lax"}
   */
  sameSite?: "strict" | "lax" | "none";
  /**
   * Whether it travels over HTTPS only.
   * @default {false}
   */
  secure?: boolean;
  /** The cookie's domain; none by default. */
  domain?: string;
  /** Lifetime in seconds; a session cookie by default. */
  maxAge?: number;
}

/**
 * Decides whether a handshake or upgrade may go on: call `callback(null, true)` to accept, or
 * `callback("reason", false)` to refuse with `403` and code 4 (the reason becomes the message).
 * Returning a boolean (or a promise of one) instead of calling back works too.
 */
export type AllowRequest = (
  request: Request,
  callback: (error: string | null | undefined, success: boolean) => void,
) => void | boolean | Promise<void | boolean>;

/**
 * What a heartbeat timer of a session is for: `"ping"` sends the next ping, `"pingTimeout"` ends
 * a session that did not answer. Timers that batch heartbeats (a Durable Object's alarm) may move
 * a ping earlier and a timeout later, so that many sessions share one wake-up.
 */
export type TimerKind = "ping" | "pingTimeout";

/** Timer functions, injectable so tests can drive time without sleeping. */
export interface Timers {
  /**
   * Schedules `fn` after `ms` milliseconds. Heartbeat timers of sessions pass their `kind`;
   * other timers (acks, upgrades, connect timeouts) pass none and must fire on time.
   */
  setTimeout(fn: () => void, ms: number, kind?: TimerKind): unknown;
  /** Cancels what `setTimeout` scheduled. */
  clearTimeout(id: unknown): void;
}

/**
 * How an engine without sticky sessions reaches the owner of a session: the session ids it makes
 * name it (`<self()>.<random>`), and a polling request for a session it does not hold, whose id
 * names another owner, is answered by `forward()` instead of with code 1 (`Session ID unknown`);
 * a WebSocket upgrade, by `relay()` when given. A `Server` with `forwardRequests: true` makes one
 * over its cluster adapter.
 *
 * @example Two engines in one process, each forwarding to the other
 * ```ts
 * import { EngineServer, type SessionForwarding } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const engines = new Map<string, EngineServer>();
 * const forwarding = (self: string): SessionForwarding => ({
 *   self: () => self,
 *   forward: (owner, request) => engines.get(owner)!.fetch(request),
 * });
 * engines.set("a", new EngineServer({ forward: forwarding("a") }));
 * engines.set("b", new EngineServer({ forward: forwarding("b") }));
 *
 * const open = await engines.get("a")!.fetch(new Request("http://x/engine.io/?EIO=4&transport=polling"));
 * const { sid } = JSON.parse((await open.text()).slice(1));
 * assert.match(sid, /^a\./);
 * const post = await engines.get("b")!.fetch(
 *   new Request(`http://x/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "4hi" }),
 * );
 * assert.equal(await post.text(), "ok");
 * for (const engine of engines.values()) engine.close();
 * ```
 */
export interface SessionForwarding {
  /**
   * This engine's owner id, put in front of the session ids it makes; no `.` in it. A handshake
   * waits for a promise (so the owner can be made ready to receive forwarded requests first).
   *
   * @returns The id.
   */
  self(): string | Promise<string>;
  /**
   * Answers a request for a session that `owner` holds; rejects when it cannot (the client then
   * gets code 1, `Session ID unknown`).
   *
   * @param owner The owner named by the session id.
   * @param request The request.
   * @returns The owner's response.
   */
  forward(owner: string, request: Request): Promise<Response>;
  /**
   * Relays a WebSocket upgrade for a session that `owner` holds: asks the owner whether it takes
   * it, and answers with the owner's refusal, or with `upgrade(handler, headers)` (the runtime's
   * upgrade of this connection, `handler` carrying its frames to and from the owner). Rejects
   * when the owner cannot be asked (the client then gets code 1). Without it, such an upgrade is
   * answered with code 1.
   *
   * @param owner The owner named by the session id.
   * @param request The upgrade request.
   * @param upgrade Upgrades the client's connection here.
   * @returns The owner's refusal, or the upgrade response.
   */
  relay?(
    owner: string,
    request: Request,
    upgrade: (handler: WebSocketHandler, headers: Headers) => Response | Promise<Response>,
  ): Promise<Response>;
}

/** Options of the Engine.IO server. */
export interface EngineOptions {
  /**
   * The path the server answers under.
   * @default {"/engine.io"}
   */
  path?: string;
  /**
   * Whether the path matches with a trailing slash (`/engine.io/`), as the official server does.
   * @default {true}
   */
  addTrailingSlash?: boolean;
  /**
   * Milliseconds between the server's pings (v4), or the heartbeat the client keeps (v3).
   * @default {25000}
   */
  pingInterval?: number;
  /**
   * Milliseconds to wait for a pong before closing with `ping timeout`.
   * @default {20000}
   */
  pingTimeout?: number;
  /**
   * Milliseconds a polling → WebSocket upgrade may take before it is cancelled.
   * @default {10000}
   */
  upgradeTimeout?: number;
  /**
   * The largest message or POST body accepted, in bytes; larger closes the session.
   * @default {1e6}
   */
  maxHttpBufferSize?: number;
  /**
   * The transports clients may use.
   * @default {["polling", "websocket"]}
   */
  transports?: TransportName[];
  /**
   * Whether clients may upgrade from polling to WebSocket.
   * @default {true}
   */
  allowUpgrades?: boolean;
  /**
   * Whether Engine.IO v3 clients (Socket.IO v2) may connect.
   * @default {false}
   */
  allowEIO3?: boolean;
  /**
   * Cross-origin rules for the polling transport; none by default.
   * @default {false}
   */
  cors?: CorsOptions | false;
  /**
   * A cookie named after the session on the handshake response.
   * @default {false}
   */
  cookie?: CookieOptions | boolean;
  /** Accepts or refuses handshakes and upgrades; everything is accepted by default. */
  allowRequest?: AllowRequest;
  /** Makes session ids; 15 random bytes as URL-safe base64 by default. */
  generateId?: (request: Request) => string | Promise<string>;
  /**
   * Upgrades requests to WebSockets the runtime's way (`upgradeWebSocket` from the runtime
   * files). Without it the `websocket` transport is unavailable and only polling is offered.
   */
  upgradeWebSocket?: WebSocketUpgrader;
  /**
   * Timer functions; the global `setTimeout`/`clearTimeout` by default.
   */
  timers?: Timers;
  /**
   * Session ids that name their owner, and polling requests for another owner's sessions
   * handed to it (see {@linkcode SessionForwarding}); off by default. A WebSocket upgrade of
   * another owner's session is relayed to it when `relay()` is given, else refused (`400`, code
   * 1), so such a client stays on polling.
   * @default {undefined}
   */
  forward?: SessionForwarding;
}

/** Options after defaults, as the engine reads them (see {@linkcode EngineOptions}). */
export interface ResolvedEngineOptions {
  /** The path, with its trailing slash when `addTrailingSlash` is on. */
  readonly path: string;
  /** Milliseconds between pings. */
  readonly pingInterval: number;
  /** Milliseconds to wait for a pong. */
  readonly pingTimeout: number;
  /** Milliseconds an upgrade may take. */
  readonly upgradeTimeout: number;
  /** The largest message or POST body, in bytes. */
  readonly maxHttpBufferSize: number;
  /** The transports clients may use. */
  readonly transports: readonly TransportName[];
  /** Whether clients may upgrade to WebSocket. */
  readonly allowUpgrades: boolean;
  /** Whether EIO=3 clients may connect. */
  readonly allowEIO3: boolean;
  /** Cross-origin rules, or `false`. */
  readonly cors: CorsOptions | false;
  /** The session cookie, or `false`. */
  readonly cookie: CookieOptions | false;
  /** The handshake check, if any. */
  readonly allowRequest: AllowRequest | undefined;
  /** The session id maker, if not the default. */
  readonly generateId: ((request: Request) => string | Promise<string>) | undefined;
  /** The runtime's WebSocket upgrade, if any. */
  readonly upgradeWebSocket: WebSocketUpgrader | undefined;
  /** The timers in use. */
  readonly timers: Timers;
  /** How requests reach the owner of a session, when sessions are not sticky. */
  readonly forward: SessionForwarding | undefined;
}

/** The official defaults. */
export const ENGINE_DEFAULTS: Readonly<{
  path: string;
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  transports: readonly TransportName[];
  allowUpgrades: boolean;
  allowEIO3: boolean;
}> = Object.freeze({
  path: "/engine.io",
  pingInterval: 25000,
  pingTimeout: 20000,
  upgradeTimeout: 10000,
  maxHttpBufferSize: 1e6,
  transports: Object.freeze(["polling", "websocket"] as TransportName[]),
  allowUpgrades: true,
  allowEIO3: false,
});

const GLOBAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Cannot create engine: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * Applies the defaults and validates every option.
 *
 * @param options What the user gave.
 * @returns The options the engine runs with.
 * @throws {RangeError} On a non-positive duration or size, or an unknown transport.
 *
 * @example
 * ```ts
 * import { resolveEngineOptions } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const options = resolveEngineOptions({ pingInterval: 300, path: "/socket.io" });
 * assert.equal(options.path, "/socket.io/");
 * assert.equal(options.pingTimeout, 20000);
 * assert.throws(() => resolveEngineOptions({ pingTimeout: -1 }), RangeError);
 * ```
 */
export function resolveEngineOptions(options: EngineOptions = {}): ResolvedEngineOptions {
  const d = ENGINE_DEFAULTS;
  let path = (options.path ?? d.path).replace(/\/$/, "");
  if (options.addTrailingSlash !== false) path += "/";
  const transports = options.transports ?? [...d.transports];
  for (const t of transports) {
    if (t !== "polling" && t !== "websocket") {
      throw new RangeError(`Cannot create engine: unknown transport ${JSON.stringify(t)}`);
    }
  }
  const cookie = options.cookie === true ? {} : options.cookie;
  const forward = options.forward;
  if (
    forward !== undefined &&
    (typeof forward?.self !== "function" || typeof forward.forward !== "function" ||
      (forward.relay !== undefined && typeof forward.relay !== "function"))
  ) {
    throw new TypeError(
      "Cannot create engine: forward must have self() and forward() (and relay() is a function)",
    );
  }
  return Object.freeze({
    path,
    pingInterval: positive("pingInterval", options.pingInterval ?? d.pingInterval),
    pingTimeout: positive("pingTimeout", options.pingTimeout ?? d.pingTimeout),
    upgradeTimeout: positive("upgradeTimeout", options.upgradeTimeout ?? d.upgradeTimeout),
    maxHttpBufferSize: positive(
      "maxHttpBufferSize",
      options.maxHttpBufferSize ?? d.maxHttpBufferSize,
    ),
    transports: Object.freeze([...transports]),
    allowUpgrades: options.allowUpgrades ?? d.allowUpgrades,
    allowEIO3: options.allowEIO3 ?? d.allowEIO3,
    cors: options.cors ?? false,
    cookie: cookie
      ? {
        name: "io",
        path: "/",
        httpOnly: true,
        sameSite: "lax" as const,
        secure: false,
        ...cookie,
      }
      : false,
    allowRequest: options.allowRequest,
    generateId: options.generateId,
    upgradeWebSocket: options.upgradeWebSocket,
    timers: options.timers ?? GLOBAL_TIMERS,
    forward,
  });
}
