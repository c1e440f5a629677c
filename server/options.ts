/**
 * Socket.IO server options, kept apart from the Engine.IO options: `new Server()` takes one bag,
 * as socket.io does, and splits it here into the two, each with its official defaults.
 *
 * @module
 */

import type { SocketParser } from "../parser/mod.ts";
import * as defaultParser from "../parser/mod.ts";
import type { EngineOptions } from "./engine/options.ts";

/** Connection state recovery settings (`true` takes the defaults). */
export interface RecoveryOptions {
  /**
   * How long a disconnected session may be recovered, in milliseconds.
   * @default {120000}
   */
  maxDisconnectionDuration?: number;
  /**
   * Whether `io.use()` middlewares are skipped when a session is recovered.
   * @default {true}
   */
  skipMiddlewares?: boolean;
}

/** The options of the Socket.IO layer. */
export interface SocketOptions {
  /**
   * The path the server answers under.
   * @default {"/socket.io"}
   */
  path?: string;
  /**
   * Milliseconds a client may stay connected without joining a namespace.
   * @default {45000}
   */
  connectTimeout?: number;
  /**
   * Connection state recovery; off by default.
   * @default {false}
   */
  connectionStateRecovery?: RecoveryOptions | boolean;
  /**
   * Whether child namespaces of a parent namespace are removed once empty.
   * @default {false}
   */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * The parser, as socket.io's `parser` option takes it (e.g. `socket.io-msgpack-parser`).
   * @default {edgeio's own parser}
   */
  parser?: SocketParser;
  /**
   * Whether the client bundle is served at `<path>/socket.io.js`.
   * @default {true}
   */
  serveClient?: boolean;
}

/** Every option `new Server()` takes: the Socket.IO options and the Engine.IO ones. */
export type ServerOptions = SocketOptions & Omit<EngineOptions, "path">;

/** Socket.IO options after defaults. */
export interface ResolvedSocketOptions {
  /** The path, without a trailing slash. */
  readonly path: string;
  /** Milliseconds to join a namespace. */
  readonly connectTimeout: number;
  /** Recovery settings, or `false`. */
  readonly connectionStateRecovery: Readonly<Required<RecoveryOptions>> | false;
  /** Whether empty child namespaces are removed. */
  readonly cleanupEmptyChildNamespaces: boolean;
  /** The parser. */
  readonly parser: SocketParser;
  /** Whether the client bundle is served. */
  readonly serveClient: boolean;
}

/**
 * Splits `new Server()`'s options into the Socket.IO options (defaults applied, validated) and
 * the Engine.IO options (with the Socket.IO path).
 *
 * @param options What the user gave.
 * @returns The two sets.
 * @throws {RangeError} On a non-positive duration.
 *
 * @example
 * ```ts
 * import { resolveServerOptions } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const { socket, engine } = resolveServerOptions({ pingInterval: 300, connectTimeout: 1000 });
 * assert.equal(socket.connectTimeout, 1000);
 * assert.equal(engine.path, "/socket.io");
 * assert.equal(engine.pingInterval, 300);
 * ```
 */
export function resolveServerOptions(
  options: ServerOptions = {},
): { socket: ResolvedSocketOptions; engine: EngineOptions } {
  const {
    path,
    connectTimeout,
    connectionStateRecovery,
    cleanupEmptyChildNamespaces,
    parser,
    serveClient,
    ...engine
  } = options;
  const timeout = connectTimeout ?? 45000;
  if (!(timeout > 0 && Number.isFinite(timeout))) {
    throw new RangeError(`Cannot create server: connectTimeout must be positive, got ${timeout}`);
  }
  let recovery: Readonly<Required<RecoveryOptions>> | false = false;
  if (connectionStateRecovery) {
    const given = connectionStateRecovery === true ? {} : connectionStateRecovery;
    const duration = given.maxDisconnectionDuration ?? 120000;
    if (!(duration > 0 && Number.isFinite(duration))) {
      throw new RangeError(
        `Cannot create server: maxDisconnectionDuration must be positive, got ${duration}`,
      );
    }
    recovery = Object.freeze({
      maxDisconnectionDuration: duration,
      skipMiddlewares: given.skipMiddlewares ?? true,
    });
  }
  const socketPath = (path ?? "/socket.io").replace(/\/$/, "");
  return {
    socket: Object.freeze({
      path: socketPath,
      connectTimeout: timeout,
      connectionStateRecovery: recovery,
      cleanupEmptyChildNamespaces: cleanupEmptyChildNamespaces ?? false,
      parser: parser ?? defaultParser,
      serveClient: serveClient ?? true,
    }),
    engine: { ...engine, path: socketPath },
  };
}
