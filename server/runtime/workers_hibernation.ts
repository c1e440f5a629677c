/**
 * Cloudflare Workers: a Socket.IO Durable Object that may hibernate. Its WebSockets are accepted
 * with the WebSocket Hibernation API, so Cloudflare can evict the idle object from memory while
 * the clients stay connected; each WebSocket's attachment keeps what the object needs to carry on
 * when it wakes up: the Engine.IO session, and per namespace the socket id, its rooms and
 * `socket.data`. Heartbeats and every other timer of the engine run from the object's single
 * storage alarm, since a pending `setTimeout` would keep the object in memory.
 *
 * @module
 */

import { clientInternals } from "../client.ts";
import type { Session } from "../engine/session.ts";
import { generateSessionId } from "../engine/session_id.ts";
import type { WebSocketHandler, WebSocketLike } from "../engine/websocket_like.ts";
import { type IoServerOptions, Server } from "../io_server.ts";
import type { Namespace } from "../namespace.ts";
import type { Socket } from "../socket.ts";
import { AlarmTimers } from "./_workers_hibernation_timers.ts";
import {
  announce,
  describe,
  HibernationStateError,
  parse,
  restore,
} from "./_workers_hibernation_state.ts";
import { SHARD_HEADER } from "./workers.ts";

export { HibernationStateError };

/** A server-side WebSocket of the Hibernation API, as the object uses it. */
export interface HibernatableWebSocket extends WebSocketLike {
  /** Keeps a value with the WebSocket, across evictions (at most 2048 bytes serialized). */
  serializeAttachment(value: unknown): void;
  /** The value last kept with `serializeAttachment`. */
  deserializeAttachment(): unknown;
}

/** The members of a Durable Object's `state` (`ctx`) the hibernating object uses. */
export interface HibernationState {
  /** Accepts a WebSocket for hibernation: its events come to the object's handler methods. */
  acceptWebSocket(socket: HibernatableWebSocket, tags?: string[]): void;
  /** The WebSockets accepted and still open, after an eviction too. */
  getWebSockets(tag?: string): HibernatableWebSocket[];
  /** The object's storage; only its alarm is used. */
  storage: {
    setAlarm(time: number): Promise<void> | void;
    deleteAlarm(): Promise<void> | void;
  };
}

interface Link {
  handler: WebSocketHandler;
  session?: Session;
  saved: string;
  failed: boolean;
  /** Undoes what waits for this WebSocket (an upgrade not done yet). */
  dispose?: () => void;
  /** Other objects the runtime handed for the same WebSocket after a wake-up. */
  aliases?: HibernatableWebSocket[];
  /** When the client last sent a message. */
  heard: number;
}

type WebSocketPairConstructor = new () => {
  0: HibernatableWebSocket;
  1: HibernatableWebSocket;
};

/** Milliseconds a connection's restore may take before it is closed instead. */
const RESTORE_TIMEOUT = 5000;

/** How long after its last message a connection's state is saved with what it is sent. */
const RECENT_MS = 10_000;

/** Milliseconds after a message at which its session is saved again. */
const SETTLE_MS = 1000;

const shardedId = (request: Request) =>
  `${request.headers.get(SHARD_HEADER) ?? "0"}.${generateSessionId()}`;

/**
 * A Socket.IO Durable Object that may hibernate: subclass it as `SocketIODurableObject`
 * (configure in `setup`, options in `serverOptions`), export the subclass, route to it with
 * `routeToDurableObject`, and add `alarm` to nothing: the class has the handlers
 * (`webSocketMessage`, `webSocketClose`, `webSocketError`, `alarm`) already.
 *
 * What survives an eviction: every WebSocket connection with its session id, and per namespace
 * its socket id, its rooms, `socket.data` (as JSON) and its recovery pid. When the object wakes up
 * (on a message, a request or the alarm), it makes those sockets again without a handshake or a
 * CONNECT packet, and hands each to the namespace's `connection` listeners again, with
 * `socket.recovered === true`; middlewares do not run again. The clients notice nothing.
 *
 * What does not survive: `socket.handshake` is rebuilt from the URL and the handshake time only
 * (its `headers` and `auth` are empty: copy what you need into `socket.data`), acks the server
 * waits for are dropped (their timeouts too), a socket of a namespace that no longer exists (or
 * whose parent namespace refuses an empty `auth`) is not made again, and
 * long-polling sessions are lost (a pending poll keeps the object awake, so this only happens when
 * a client stops polling; it then gets "Session ID unknown" and reconnects).
 *
 * Heartbeats: every session is pinged at the same instants (multiples of `pingInterval`), from the
 * one storage alarm; a client that did not answer is closed at the next instant after
 * `pingTimeout`. `pingInterval` must be above 10 seconds (Cloudflare evicts after 10 idle seconds)
 * for the object to hibernate between heartbeats; the default 25 s is.
 *
 * `socket.data`, the rooms and the URL must fit in the WebSocket attachment (2048 bytes). When
 * they do not (or `data` is not JSON), the socket's `error` listeners get a
 * {@linkcode HibernationStateError}; the connection works on, but is closed if the object is
 * evicted (the client reconnects). The state is saved after each message of the connection and
 * again a second later (for listeners that `await` before they change `socket.data`), whenever
 * the server sends the connection a message (an ack, an emit), after each room change, and at each
 * heartbeat; async work that ends later and sends nothing is saved at the next of these.
 *
 * Caveats: an I/O that stays open (an Upstash adapter's subscription, an outgoing WebSocket)
 * keeps the object awake, so it never hibernates; the `timers` server option is replaced.
 *
 * @example A chat room that hibernates (wrangler.toml binds `CHAT` to `Chat`)
 * ```ts
 * import type { Server } from "@edgeio/edgeio/server";
 * import { HibernatingSocketIODurableObject } from "@edgeio/edgeio/workers";
 * import assert from "node:assert/strict";
 *
 * class Chat extends HibernatingSocketIODurableObject {
 *   protected override setup(io: Server): void {
 *     // Runs again for every socket after each wake-up, with socket.recovered true.
 *     io.on("connection", (socket) => {
 *       if (!socket.recovered) socket.emit("welcome");
 *       socket.on("join", (room: string) => socket.join(room));
 *       socket.on("say", (room: string, text: string) => io.to(room).emit("said", text));
 *     });
 *   }
 * }
 * // Outside workerd, with a state that records the alarm instead of setting it.
 * const alarms: number[] = [];
 * const state = {
 *   acceptWebSocket() {},
 *   getWebSockets: () => [],
 *   storage: { setAlarm: (time: number) => void alarms.push(time), deleteAlarm() {} },
 * };
 * const chat = new Chat(state, {});
 * const response = await chat.fetch(new Request("http://x/socket.io/?EIO=4&transport=polling"));
 * assert.equal((await response.text())[0], "0");
 * assert.equal(alarms.length, 1); // the session's first heartbeat, on the object's alarm
 * await chat.io.close();
 * ```
 */
export class HibernatingSocketIODurableObject {
  /** The Socket.IO server this object hosts. */
  readonly io: Server;
  readonly #state: HibernationState;
  readonly #timers: AlarmTimers;
  readonly #links = new Map<HibernatableWebSocket, Link>();
  readonly #bySid = new Map<string, HibernatableWebSocket>();
  readonly #dirty = new Set<string>();
  #opening: { ws: HibernatableWebSocket; link: Link } | undefined;
  // Sessions saved again a moment after their last message, for listeners' async work.
  readonly #later = new Set<string>();
  #laterTimer: ReturnType<typeof setTimeout> | undefined;
  #woken: Promise<void> | undefined;

  /**
   * Builds the server: no I/O, no timers. Nothing is restored here: that happens on the first
   * event.
   *
   * @param state The Durable Object state (`ctx`).
   * @param env The Worker's bindings.
   */
  constructor(state: HibernationState, env: Record<string, unknown>) {
    this.#state = state;
    this.#timers = new AlarmTimers(
      (time) => state.storage.setAlarm(time),
      () => state.storage.deleteAlarm(),
    );
    this.io = new Server({
      ...this.serverOptions(env),
      timers: this.#timers,
      upgradeWebSocket: (request, handler, headers) => this.#upgrade(request, handler, headers),
      generateId: shardedId,
    });
    this.#timers.grid = this.io.engine.options.pingInterval;
    this.io.engine.on("connection", (session) => {
      const opening = this.#opening;
      if (opening) this.#bind(opening.ws, opening.link, session);
    });
    this.#watch(this.io.sockets);
    this.io.on("new_namespace", (nsp) => this.#watch(nsp));
    this.setup(this.io, env);
  }

  /**
   * The server's options; override to change them (`upgradeWebSocket`, `generateId` and
   * `timers` are set by this class).
   *
   * @param _env The Worker's bindings.
   * @returns Server options.
   */
  protected serverOptions(_env: Record<string, unknown>): IoServerOptions {
    return {};
  }

  /**
   * Configures the server (namespaces, listeners); override it. Listeners of `connection` run
   * again for each socket after every wake-up (`socket.recovered` is then `true`).
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
  async fetch(request: Request): Promise<Response> {
    await this.#wake();
    return await this.io.fetch(request, {
      remoteAddr: { hostname: request.headers.get("cf-connecting-ip") ?? "" },
    });
  }

  /**
   * A frame arrived on a hibernatable WebSocket (called by the runtime).
   *
   * @param ws The WebSocket.
   * @param message The frame.
   */
  async webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.#wake();
    const link = this.#linkOf(ws);
    if (!link) {
      closeQuietly(ws, 1011, "Session ID unknown");
      return;
    }
    link.heard = Date.now();
    link.handler.onMessage(message);
    if (link.session) {
      this.#touch(link.session.id);
      this.#touchSoon(link.session.id);
    }
  }

  /**
   * A hibernatable WebSocket closed (called by the runtime).
   *
   * @param ws The WebSocket.
   * @param code The close code.
   * @param reason The close reason.
   * @param _wasClean Whether the close handshake completed.
   */
  async webSocketClose(
    ws: HibernatableWebSocket,
    code: number,
    reason: string,
    _wasClean?: boolean,
  ): Promise<void> {
    await this.#wake();
    // Complete the client's close handshake, as the non-hibernating upgrade does.
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    const link = this.#linkOf(ws);
    // The runtime may have handed other objects for this WebSocket: forget every one.
    this.#links.delete(ws);
    for (const alias of link?.aliases ?? []) this.#links.delete(alias);
    link?.dispose?.();
    link?.handler.onClose(code, reason);
  }

  /**
   * A hibernatable WebSocket failed (called by the runtime).
   *
   * @param ws The WebSocket.
   * @param error What went wrong.
   */
  async webSocketError(ws: HibernatableWebSocket, error: unknown): Promise<void> {
    await this.#wake();
    this.#linkOf(ws)?.handler.onError(error);
  }

  /** The storage alarm rang (called by the runtime): runs heartbeats and other due timers. */
  async alarm(): Promise<void> {
    await this.#wake();
    this.#timers.fire();
    for (const sid of this.#bySid.keys()) this.#dirty.add(sid);
    this.#flush();
  }

  // Restores every connection once per instance, before the first event is handled.
  #wake(): Promise<void> {
    return this.#woken ??= this.#restoreAll();
  }

  // One connection back from its attachment. A failure, or a parent namespace that does not
  // decide within RESTORE_TIMEOUT, closes that connection only (a late restore is undone), so
  // the object keeps serving the others.
  async #restoreOne(ws: HibernatableWebSocket, text: unknown) {
    const saved = parse(text);
    if (!saved) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), RESTORE_TIMEOUT);
    });
    const work = restore(this.io, ws, saved);
    try {
      const back = await Promise.race([work, late]);
      if (back !== "late") return back;
      work.then((done) => done?.handler.onClose(1011, "Restore timed out"), () => {});
      throw new Error(`Cannot restore connection ${saved.sid}: not done in ${RESTORE_TIMEOUT} ms`);
    } catch (error) {
      // deno-lint-ignore no-console -- no socket to tell yet: the object's log (wrangler tail)
      console.error(error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  // Every connection at once (one deadline for all), then linked and announced in order.
  async #restoreAll(): Promise<void> {
    const sockets: Socket[] = [];
    const waiting = this.#state.getWebSockets().filter((ws) => !this.#links.has(ws));
    const texts = waiting.map(safeAttachment);
    const restored = await Promise.all(waiting.map((ws, i) => this.#restoreOne(ws, texts[i])));
    for (const [i, ws] of waiting.entries()) {
      const text = texts[i];
      const back = restored[i];
      if (!back) {
        closeQuietly(ws, 1011, "Session state lost in hibernation");
        continue;
      }
      const link: Link = { handler: back.handler, saved: text as string, failed: false, heard: 0 };
      this.#links.set(ws, link);
      this.#bind(ws, link, back.session, false);
      sockets.push(...back.sockets);
    }
    announce(sockets);
  }

  #upgrade(request: Request, handler: WebSocketHandler, headers: Headers): Response {
    const Pair = (globalThis as unknown as { WebSocketPair: WebSocketPairConstructor })
      .WebSocketPair;
    const pair = new Pair();
    const client = pair[0];
    const server = pair[1];
    this.#state.acceptWebSocket(server);
    const link: Link = { handler, saved: "", failed: false, heard: 0 };
    this.#links.set(server, link);
    const sid = new URL(request.url).searchParams.get("sid");
    if (sid === null) {
      // A WebSocket handshake: the engine makes the session while handling the open.
      this.#opening = { ws: server, link };
      try {
        handler.onOpen(server);
      } finally {
        this.#opening = undefined;
      }
    } else {
      // An upgrade from polling: the WebSocket carries the session once the client switches.
      handler.onOpen(server);
      const session = this.io.engine.clients.get(sid);
      if (session) {
        const upgraded = () => this.#bind(server, link, session);
        session.once("upgrade", upgraded);
        link.dispose = () => session.off("upgrade", upgraded);
      }
    }
    return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit);
  }

  #bind(ws: HibernatableWebSocket, link: Link, session: Session, save = true): void {
    link.session = session;
    this.#bySid.set(session.id, ws);
    // What a listener sets before answering (an ack, an emit after an await) is saved with it;
    // only for a connection that spoke lately, so a broadcast does not save every recipient.
    session.on("packetCreate", (packet) => {
      if (packet.type === "message" && Date.now() - link.heard < RECENT_MS) {
        this.#touch(session.id);
      }
    });
    session.once("close", () => {
      if (this.#bySid.get(session.id) === ws) this.#bySid.delete(session.id);
    });
    if (save) this.#touch(session.id);
  }

  // After a wake-up the runtime may hand the handlers other objects for the same WebSockets:
  // fall back on the session id kept in the attachment.
  #linkOf(ws: HibernatableWebSocket): Link | undefined {
    const link = this.#links.get(ws);
    if (link) return link;
    const sid = parse(safeAttachment(ws))?.sid;
    const known = sid === undefined ? undefined : this.#bySid.get(sid);
    const found = known ? this.#links.get(known) : undefined;
    if (found) {
      this.#links.set(ws, found);
      (found.aliases ??= []).push(ws);
    }
    return found;
  }

  #watch(nsp: Namespace): void {
    const touch = (_room: unknown, id: unknown) => {
      const socket = nsp.sockets.get(String(id));
      if (socket) this.#touch(socket.conn.id);
    };
    nsp.adapter.on("join-room", touch);
    nsp.adapter.on("leave-room", touch);
  }

  // Saves the session's state once the current turn is over (joins and data set by listeners).
  #touch(sid: string): void {
    if (this.#dirty.size === 0) queueMicrotask(() => this.#flush());
    this.#dirty.add(sid);
  }

  // A listener's async work that sends nothing is saved too, if done within SETTLE_MS; this
  // keeps the object in memory that long after a message (it is evicted 10 s after that).
  #touchSoon(sid: string): void {
    this.#later.add(sid);
    this.#laterTimer ??= setTimeout(() => {
      this.#laterTimer = undefined;
      for (const later of this.#later) this.#touch(later);
      this.#later.clear();
    }, SETTLE_MS);
  }

  #flush(): void {
    const sids = [...this.#dirty];
    this.#dirty.clear();
    for (const sid of sids) {
      const ws = this.#bySid.get(sid);
      const link = ws && this.#links.get(ws);
      const session = link?.session;
      if (!ws || !link || !session || session.readyState !== "open") continue;
      let { text, error } = describe(session);
      if (text === link.saved) continue;
      try {
        ws.serializeAttachment(text);
      } catch (cause) {
        error = new HibernationStateError(
          "Cannot save the connection for hibernation; it is closed if the object is evicted",
          { cause },
        );
        text = JSON.stringify({ v: 1, sid, p: session.protocol, u: "/", a: "" });
        try {
          ws.serializeAttachment(text);
        } catch { /* the previous attachment stays */ }
      }
      link.saved = text;
      if (error && !link.failed) this.#report(session, error);
      link.failed = error !== undefined;
    }
  }

  #report(session: Session, error: HibernationStateError): void {
    const client = clientInternals.of(session);
    for (const socket of client ? clientInternals.sockets(client) : []) {
      socket.emitReserved("error", error);
    }
  }
}

function closeQuietly(ws: WebSocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch { /* already closed */ }
}

function safeAttachment(ws: HibernatableWebSocket): unknown {
  try {
    return ws.deserializeAttachment();
  } catch {
    return undefined;
  }
}
