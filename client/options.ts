/**
 * The options of the Socket.IO client, as socket.io-client 4 names them.
 *
 * @module
 */

import type { PacketDecoder, PacketEncoder } from "../parser/custom_parser.ts";
import type { EngineSocketOptions } from "./engine/options.ts";

/** A parser: what socket.io-client accepts as `parser` (e.g. socket.io-msgpack-parser). */
export interface ClientParser {
  /** Makes encoders. */
  Encoder: new () => PacketEncoder;
  /** Makes decoders. */
  Decoder: new () => PacketDecoder;
}

/** Options of a {@linkcode Manager}. Every field is optional. */
export interface ManagerOptions extends EngineSocketOptions {
  /**
   * Whether to reconnect automatically.
   * @default {true}
   */
  reconnection?: boolean;
  /**
   * How many reconnection attempts before giving up.
   * @default {Infinity}
   */
  reconnectionAttempts?: number;
  /**
   * The first reconnection delay in milliseconds.
   * @default {1000}
   */
  reconnectionDelay?: number;
  /**
   * The largest reconnection delay in milliseconds.
   * @default {5000}
   */
  reconnectionDelayMax?: number;
  /**
   * The jitter of the reconnection delay, from 0 to 1.
   * @default {0.5}
   */
  randomizationFactor?: number;
  /**
   * Milliseconds to wait for the connection before `connect_error` ("timeout"); `false` waits
   * forever.
   * @default {20000}
   */
  timeout?: number | false;
  /**
   * Whether to connect as soon as the manager or socket is made.
   * @default {true}
   */
  autoConnect?: boolean;
  /** A custom parser, e.g. socket.io-msgpack-parser; the server must use the same. */
  parser?: ClientParser;
}

/** Options of a {@linkcode Socket}. Every field is optional. */
export interface SocketOptions {
  /** Credentials sent with the CONNECT packet, or a function that produces them. */
  auth?: Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void);
  /** How many times an event is retried when its ack does not come in time (at-least-once). */
  retries?: number;
  /** The default ack timeout in milliseconds, for every event sent with an ack. */
  ackTimeout?: number;
}

/** Options of {@linkcode io}: the manager's and the socket's, and the cache controls. */
export interface LookupOptions extends ManagerOptions, SocketOptions {
  /**
   * Whether to make a new manager instead of reusing the one for the same origin.
   * @default {false}
   */
  forceNew?: boolean;
  /**
   * Whether sockets to the same origin share one connection.
   * @default {true}
   */
  multiplex?: boolean;
}
