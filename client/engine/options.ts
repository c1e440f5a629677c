/**
 * The engine client's options, as engine.io-client 6 names them.
 *
 * @module
 */

/** A transport name. */
export type TransportName = "polling" | "websocket";

/** Options of the engine client. Every field is optional. */
export interface EngineSocketOptions {
  /**
   * The path the server answers under.
   * @default {"/engine.io"}
   */
  path?: string;
  /** Query parameters added to every request (an object or a query string). */
  query?: Record<string, string> | string;
  /**
   * The transports to use, in order of preference.
   * @default {["polling", "websocket"]}
   */
  transports?: TransportName[];
  /**
   * Whether to try upgrading from polling to websocket after the handshake.
   * @default {true}
   */
  upgrade?: boolean;
  /**
   * Whether to start with websocket when a websocket connection succeeded before in this
   * context.
   * @default {false}
   */
  rememberUpgrade?: boolean;
  /**
   * Whether to try the next transport when the first one cannot connect.
   * @default {false}
   */
  tryAllTransports?: boolean;
  /** Headers sent with every request where the runtime allows it (not on browser WebSockets). */
  extraHeaders?: Record<string, string>;
  /**
   * Whether cross-origin polling requests carry cookies (`credentials: "include"`).
   * @default {false}
   */
  withCredentials?: boolean;
  /**
   * Whether to add a cache-busting parameter: polling adds one unless this is `false`,
   * websocket only when it is `true`.
   */
  timestampRequests?: boolean;
  /**
   * The name of the cache-busting parameter.
   * @default {"t"}
   */
  timestampParam?: string;
  /**
   * Whether to add a trailing slash to the path.
   * @default {true}
   */
  addTrailingSlash?: boolean;
  /** WebSocket subprotocols. */
  protocols?: string | string[];
}
