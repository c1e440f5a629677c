/**
 * The Engine.IO server behind a Web-standard fetch handler: `(Request) => Response`.
 *
 * @module
 */

import { Emitter } from "../../parser/emitter.ts";
import { corsHeaders } from "./cors.ts";
import { serializeCookie } from "./cookie.ts";
import { EngineError, EngineErrorCode, errorResponse } from "./errors.ts";
import {
  type EngineOptions,
  type ResolvedEngineOptions,
  resolveEngineOptions,
  type SessionForwarding,
  type TransportName,
} from "./options.ts";
import { PollingTransport } from "./polling.ts";
import { Session, sessionInternals } from "./session.ts";
import { WebSocketTransport } from "./websocket.ts";
import type { WebSocketHandler, WebSocketUpgrader } from "./websocket_like.ts";
import { engineHooks } from "./_restore.ts";
import { generateSessionId } from "./session_id.ts";

/** Headers as `headers`/`initial_headers` listeners edit them. */
export type HeaderRecord = Record<string, string | string[]>;

/** A refused request, as `connection_error` listeners receive it. */
export interface ConnectionError {
  /** The request. */
  request: Request;
  /** The Engine.IO error code. */
  code: EngineErrorCode;
  /** The message sent to the client. */
  message: string;
  /** Details. */
  context: Record<string, unknown>;
}

/** The events of the engine. */
export type EngineEvents = {
  /** A session opened. */
  connection: (session: Session) => void;
  /** A request was refused. */
  connection_error: (error: ConnectionError) => void;
  /** Headers of the handshake response, editable. */
  initial_headers: (headers: HeaderRecord, request: Request) => void;
  /** Headers of every polling response and upgrade, editable. */
  headers: (headers: HeaderRecord, request: Request) => void;
};

/** Connection details some runtimes pass as the fetch handler's second argument (Deno). */
export interface ConnectionInfo {
  /** The peer's address; its `hostname` is read when it has one (not a Unix socket's). */
  remoteAddr?: object;
}

function hostnameOf(addr: object | undefined): string {
  const hostname = (addr as { hostname?: unknown } | undefined)?.hostname;
  return typeof hostname === "string" ? hostname : "";
}

interface Query {
  transport: string | null;
  sid: string | null;
  protocol: 3 | 4;
  jsonp: string | undefined;
  b64: boolean;
}

const CLOSE_TIMEOUT = 30000;

/**
 * An Engine.IO server as a fetch handler. Polling works on every runtime; WebSocket needs the
 * runtime's `upgradeWebSocket` (from `@edgeio/edgeio/deno` and the other runtime modules).
 *
 * @example An echo server on Deno
 * ```ts ignore
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 *
 * const engine = new EngineServer({ upgradeWebSocket });
 * engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 * Deno.serve(engine.fetch);
 * ```
 *
 * @example The handshake, in process
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const engine = new EngineServer();
 * const response = await engine.fetch(new Request("http://localhost/engine.io/?EIO=4&transport=polling"));
 * const open = JSON.parse((await response.text()).slice(1));
 * assert.equal(typeof open.sid, "string");
 * assert.deepEqual(open.upgrades, []);
 * engine.close();
 * ```
 */
export class EngineServer extends Emitter<EngineEvents> {
  /** The options in force. */
  readonly options: ResolvedEngineOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #host;

  /**
   * Makes a server. Nothing starts here: no I/O, no timers.
   *
   * @param options Engine options.
   * @throws {RangeError} On invalid options.
   */
  constructor(options?: EngineOptions) {
    super();
    this.options = resolveEngineOptions(options);
    const upgradesFor = (transport: TransportName) => this.#upgradesFor(transport);
    this.#host = { options: this.options, upgradesFor };
  }

  /** How many sessions are open. */
  get clientsCount(): number {
    return this.#sessions.size;
  }

  /** The open sessions by id. */
  get clients(): ReadonlyMap<string, Session> {
    return this.#sessions;
  }

  /**
   * Answers a request under the engine's path; anything else gets `404`.
   *
   * @param request The request.
   * @param info Connection details from the runtime (Deno passes them).
   * @returns The response.
   */
  fetch = (request: Request, info?: ConnectionInfo): Promise<Response> => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(this.options.path)) {
      return Promise.resolve(new Response("Not Found", { status: 404 }));
    }
    return this.#handle(request, url, info);
  };

  /**
   * Answers a request another server forwarded here because this engine owns its session
   * (see {@linkcode SessionForwarding}): as {@linkcode EngineServer.fetch} does, except that it
   * is never forwarded again, and a WebSocket upgrade goes through `upgrader` (the relay to the
   * client's connection on the other server) instead of the runtime's.
   *
   * @param request The request, as the client sent it.
   * @param upgrader Upgrades the request; the runtime's by default.
   * @returns The response.
   *
   * @example
   * ```ts
   * import { EngineServer } from "@edgeio/edgeio/server";
   * import assert from "node:assert/strict";
   *
   * const engine = new EngineServer({ forward: { self: () => "a", forward: () => Promise.reject() } });
   * const response = await engine.fetchForwarded(
   *   new Request("http://x/engine.io/?EIO=4&transport=polling&sid=b.elsewhere"),
   * );
   * assert.deepEqual(await response.json(), { code: 1, message: "Session ID unknown" });
   * engine.close();
   * ```
   */
  fetchForwarded(request: Request, upgrader?: WebSocketUpgrader): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(this.options.path)) {
      return Promise.resolve(new Response("Not Found", { status: 404 }));
    }
    return this.#handle(request, url, undefined, {
      upgrader: upgrader ?? this.options.upgradeWebSocket,
    });
  }

  /**
   * A fetch handler that hands requests outside the engine's path to `fallback`.
   *
   * @param fallback Answers other requests; `404` by default.
   * @returns The handler.
   */
  handler(
    fallback?: (request: Request, info?: ConnectionInfo) => Response | Promise<Response>,
  ): (request: Request, info?: ConnectionInfo) => Promise<Response> {
    if (!fallback) return this.fetch;
    return async (request, info) => {
      const url = new URL(request.url);
      if (!url.pathname.startsWith(this.options.path)) return await fallback(request, info);
      return await this.#handle(request, url, info);
    };
  }

  /**
   * Tells whether a request is for the engine (its path starts with the engine's path).
   *
   * @param request The request.
   * @returns `true` when the engine answers it.
   */
  matches(request: Request): boolean {
    const { pathname } = new URL(request.url);
    return pathname.startsWith(this.options.path);
  }

  /** Closes every session at once. */
  close(): void {
    for (const session of [...this.#sessions.values()]) session.close(true);
  }

  // `forwarded`: a request forwarded here, with its upgrader (none when the runtime has none);
  // such a request is never forwarded again.
  async #handle(
    request: Request,
    url: URL,
    info: ConnectionInfo | undefined,
    forwarded?: { upgrader: WebSocketUpgrader | undefined },
  ): Promise<Response> {
    let cors: Headers | undefined;
    if (this.options.cors) {
      const { headers, preflight } = await corsHeaders(this.options.cors, request);
      if (preflight) return preflight;
      cors = headers;
    }
    const query = parseQuery(url);
    const upgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
    try {
      const upgrader = forwarded ? forwarded.upgrader : this.options.upgradeWebSocket;
      if (query.sid !== null) {
        const forward = forwarded ? undefined : this.options.forward;
        if (forward && !this.#sessions.has(query.sid)) {
          const answer = await this.#forward(request, query.sid, forward, upgrade);
          if (answer) return answer;
        }
        // Looked up and used without an await in between: the session cannot close meanwhile.
        const session = this.#verifySession(query, upgrade);
        if (upgrade) return await this.#upgrade(request, session, query.protocol, upgrader!);
        const response = await (sessionInternals.transport(session) as PollingTransport)
          .handleRequest(
            request,
          );
        return this.#withHeaders(response, request, false, cors);
      }
      await this.#verifyHandshake(request, query, upgrade);
      return await this.#handshake(request, query, upgrade, info, cors, upgrader);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      this.emit("connection_error", {
        request,
        code: error.code,
        message: error.message,
        context: error.context,
      });
      return errorResponse(error, upgrade, cors);
    }
  }

  // A request for another owner's session, answered by that owner (an upgrade: relayed to it);
  // undefined when the sid names no other owner, or nothing can relay an upgrade (the caller
  // answers code 1 as for any unknown sid).
  async #forward(
    request: Request,
    sid: string,
    forwarding: SessionForwarding,
    upgrade: boolean,
  ): Promise<Response | undefined> {
    const dot = sid.indexOf(".");
    const owner = sid.slice(0, dot);
    const relay = forwarding.relay;
    if (upgrade && (!relay || !this.#transportEnabled("websocket"))) return undefined;
    if (dot <= 0 || owner === await forwarding.self()) return undefined;
    try {
      if (!upgrade) return await forwarding.forward(owner, request);
      return await relay!.call(
        forwarding,
        owner,
        request,
        (handler, headers) => this.options.upgradeWebSocket!(request, handler, headers),
      );
    } catch (error) {
      // The runtime refused the client's handshake: answered as a failed upgrade.
      if (error instanceof EngineError) throw error;
      throw new EngineError(EngineErrorCode.UNKNOWN_SID, { sid, owner, error });
    }
  }

  #verifySession(query: Query, upgrade: boolean): Session {
    const transport = this.#requireTransport(query.transport);
    const session = this.#sessions.get(query.sid!);
    if (!session) throw new EngineError(EngineErrorCode.UNKNOWN_SID, { sid: query.sid });
    if (!upgrade && session.transportName !== transport) {
      throw new EngineError(EngineErrorCode.BAD_REQUEST, {
        name: "TRANSPORT_MISMATCH",
        transport,
        previousTransport: session.transportName,
      });
    }
    if (session.protocol !== query.protocol) {
      throw new EngineError(EngineErrorCode.BAD_REQUEST, {
        name: "PROTOCOL_MISMATCH",
        protocol: query.protocol,
        previousProtocol: session.protocol,
      });
    }
    if (upgrade && (transport !== "websocket" || !this.options.allowUpgrades)) {
      throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "UPGRADE_REFUSED", transport });
    }
    return session;
  }

  #requireTransport(transport: string | null): TransportName {
    if (!this.#transportEnabled(transport)) {
      throw new EngineError(EngineErrorCode.UNKNOWN_TRANSPORT, { transport });
    }
    return transport;
  }

  async #verifyHandshake(request: Request, query: Query, upgrade: boolean): Promise<void> {
    const transport = this.#requireTransport(query.transport);
    if (request.method !== "GET") {
      throw new EngineError(EngineErrorCode.BAD_HANDSHAKE_METHOD, { method: request.method });
    }
    if ((transport === "websocket") !== upgrade) {
      throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "TRANSPORT_HANDSHAKE_ERROR" });
    }
    await this.#allow(request);
  }

  async #allow(request: Request): Promise<void> {
    const allowRequest = this.options.allowRequest;
    if (!allowRequest) return;
    const verdict = await new Promise<{ error: string | null | undefined; success: boolean }>(
      (resolve, reject) => {
        try {
          const returned = allowRequest(request, (error, success) => resolve({ error, success }));
          if (typeof returned === "boolean") resolve({ error: undefined, success: returned });
          else if (returned instanceof Promise) {
            returned.then((value) => {
              if (typeof value === "boolean") resolve({ error: undefined, success: value });
            }, reject);
          }
        } catch (error) {
          reject(error);
        }
      },
    ).catch((error) => ({
      error: error instanceof Error ? error.message : String(error),
      success: false,
    }));
    if (!verdict.success) {
      throw new EngineError(EngineErrorCode.FORBIDDEN, { message: verdict.error ?? undefined });
    }
  }

  async #handshake(
    request: Request,
    query: Query,
    upgrade: boolean,
    info: ConnectionInfo | undefined,
    cors: Headers | undefined,
    upgrader: WebSocketUpgrader | undefined,
  ): Promise<Response> {
    if (query.protocol === 3 && !this.options.allowEIO3) {
      throw new EngineError(EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, { protocol: 3 });
    }
    let id: string;
    try {
      id = await (this.options.generateId ?? generateSessionId)(request);
    } catch (error) {
      throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error });
    }
    if (this.options.forward) {
      try {
        id = `${await this.options.forward.self()}.${id}`;
      } catch (error) {
        throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error });
      }
    }
    const sessionInfo = {
      protocol: query.protocol,
      remoteAddress: hostnameOf(info?.remoteAddr),
    };
    // The session keeps its handshake request for its whole life, but runtimes close a request
    // once answered (Deno: "Request closed" on reading its headers): keep a detached copy.
    const handshakeRequest = new Request(request.url, {
      method: request.method,
      headers: request.headers,
    });
    if (upgrade) {
      return await upgrader!(
        request,
        this.#socketHandler(
          query.protocol,
          (transport) =>
            this.#register(new Session(id, this.#host, transport, handshakeRequest, sessionInfo)),
        ),
        this.#headers(request, true, id, undefined),
      );
    }
    const { maxHttpBufferSize, timers } = this.options;
    const transport = new PollingTransport(query.protocol, {
      maxHttpBufferSize,
      supportsBinary: !query.b64 && query.jsonp === undefined,
      jsonp: query.jsonp,
      timers,
      closeTimeout: CLOSE_TIMEOUT,
    });
    const session = new Session(id, this.#host, transport, handshakeRequest, sessionInfo);
    this.#track(session);
    const pending = transport.handleRequest(request);
    this.emit("connection", session);
    const response = await pending;
    return this.#withHeaders(response, request, true, cors, id);
  }

  async #upgrade(
    request: Request,
    session: Session,
    protocol: 3 | 4,
    upgrader: WebSocketUpgrader,
  ): Promise<Response> {
    if (session.upgrading || session.upgraded) {
      throw new EngineError(EngineErrorCode.BAD_REQUEST, { name: "ALREADY_UPGRADED" });
    }
    return await upgrader(
      request,
      this.#socketHandler(protocol, (transport) => {
        if (session.readyState !== "open" || session.upgrading || session.upgraded) {
          transport.close();
        } else sessionInternals.upgrade(session, transport);
      }),
      this.#headers(request, false),
    );
  }

  static {
    engineHooks.restore = (engine, id, socket, request, info) => {
      const { maxHttpBufferSize } = engine.options;
      const transport = new WebSocketTransport(socket, info.protocol, maxHttpBufferSize);
      const session = sessionInternals.restore(id, engine.#host, transport, request, info);
      engine.#track(session);
      const handler: WebSocketHandler = {
        onOpen() {},
        onMessage: (data) => transport.onMessage(data),
        onClose: () => transport.onSocketClose(),
        onError: () => transport.onSocketError(),
      };
      return { session, handler };
    };
  }

  #register(session: Session): void {
    this.#track(session);
    this.emit("connection", session);
  }

  // Holds a session until it closes (and not a later session with its id).
  #track(session: Session): void {
    this.#sessions.set(session.id, session);
    session.once("close", () => {
      if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id);
    });
  }

  #socketHandler(
    protocol: 3 | 4,
    onOpen: (transport: WebSocketTransport) => void,
  ): WebSocketHandler {
    let transport: WebSocketTransport | undefined;
    const { maxHttpBufferSize } = this.options;
    return {
      onOpen: (socket) => {
        transport = new WebSocketTransport(socket, protocol, maxHttpBufferSize);
        onOpen(transport);
      },
      onMessage: (data) => transport?.onMessage(data),
      onClose: () => transport?.onSocketClose(),
      onError: () => transport?.onSocketError(),
    };
  }

  #headers(request: Request, initial: boolean, id?: string, base?: Headers): Headers {
    const record: HeaderRecord = {};
    if (initial) {
      const cookie = this.options.cookie;
      if (cookie && id !== undefined) record["Set-Cookie"] = [serializeCookie(cookie, id)];
      this.emit("initial_headers", record, request);
    }
    this.emit("headers", record, request);
    const headers = new Headers(base);
    for (const [name, value] of Object.entries(record)) {
      if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
      else headers.set(name, value);
    }
    return headers;
  }

  #withHeaders(
    response: Response,
    request: Request,
    initial: boolean,
    cors: Headers | undefined,
    id?: string,
  ): Response {
    const hooked = this.listenerCount("headers") > 0 ||
      (initial && (this.options.cookie || this.listenerCount("initial_headers") > 0));
    if (!cors && !hooked) return response;
    const extra = this.#headers(request, initial, id, cors);
    extra.forEach((value, name) => {
      if (name === "set-cookie") response.headers.append(name, value);
      else response.headers.set(name, value);
    });
    return response;
  }

  #transportEnabled(transport: string | null): transport is TransportName {
    if (transport !== "polling" && transport !== "websocket") return false;
    if (!this.options.transports.includes(transport)) return false;
    return transport === "polling" || this.options.upgradeWebSocket !== undefined;
  }

  #upgradesFor(transport: TransportName): TransportName[] {
    if (!this.options.allowUpgrades || transport !== "polling") return [];
    return this.#transportEnabled("websocket") ? ["websocket"] : [];
  }
}

// By hand rather than through URLSearchParams: it runs on every request (measured at 8-10% of
// the server's time under polling load).
function parseQuery(url: URL): Query {
  const query: Query = { transport: null, sid: null, protocol: 3, jsonp: undefined, b64: false };
  let eio: string | null = null;
  const search = url.search;
  let start = search.startsWith("?") ? 1 : 0;
  while (start < search.length) {
    let end = search.indexOf("&", start);
    if (end === -1) end = search.length;
    const eq = search.indexOf("=", start);
    const hasValue = eq !== -1 && eq < end;
    const key = search.slice(start, hasValue ? eq : end);
    const raw = hasValue ? search.slice(eq + 1, end) : "";
    const value = raw.includes("%") || raw.includes("+") ? decodeParam(raw) : raw;
    switch (key) {
      case "transport":
        query.transport ??= value;
        break;
      case "sid":
        query.sid ??= value;
        break;
      case "EIO":
        eio ??= value;
        break;
      case "j":
        query.jsonp ??= value;
        break;
      case "b64":
        query.b64 = true;
        break;
    }
    start = end + 1;
  }
  query.protocol = eio === "4" ? 4 : 3;
  return query;
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}
