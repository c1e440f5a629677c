/**
 * The Upstash Redis adapter: the cluster protocol of {@linkcode ClusterAdapter} over Upstash's
 * REST API, so servers in different isolates (Deno Deploy, Workers, several processes) share
 * broadcasts, rooms, acks, `fetchSockets`, `serverSideEmit` and connection state recovery.
 *
 * Messages go out with one Lua script per message that appends it to a capped stream and
 * publishes it (`PUBLISH`), and come in through Upstash's Server-Sent Events subscription. The
 * stream gives every message a cluster-wide id: it is the recovery offset of a broadcast, and
 * lets a node whose subscription dropped read back what it missed. While the store is away,
 * local clients are still served, messages wait in a bounded queue and are retried, and what
 * cannot be delivered is reported on the adapter's `error` event (with `lost`, the number of
 * messages given up) — never dropped silently.
 *
 * With connection state recovery on, sessions live in the store: a disconnected socket's as a
 * key with a TTL, a connected socket's in its server's hash (written when it connects and when
 * its rooms change), so a client resumes on any server, also after its server died: once that
 * server has been silent for `heartbeatTimeout`, its sockets' sessions can be taken over.
 *
 * A server holds two event streams however many namespaces it has (Workers allow six outgoing
 * connections at once, and every open stream costs on Deno Deploy): one pattern subscription
 * that carries the channels of all its namespaces, and, once a request is forwarded, one for
 * the messages addressed to it. Its namespaces (the adapters one class of
 * {@linkcode createUpstashAdapter} makes for one `Server`) share them and its uid; the last
 * one to close ends them.
 *
 * Facts of Upstash this module handles: channel names in subscription URLs are encoded here
 * (the SDK does not encode them, so `socket.io#/#` would silently become `socket.io`); the event
 * stream splits on newlines, so messages are single-line JSON with binary as base64; blocking
 * commands are not available over REST, so nothing blocks; an open subscription keeps an isolate
 * awake, so by default it opens on first use, and nothing happens in a constructor.
 *
 * @example A server whose namespaces span every isolate
 * ```ts ignore
 * import { Server } from "@edgeio/edgeio";
 * import { createUpstashAdapter } from "@edgeio/edgeio/adapter/upstash";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 *
 * const io = new Server({
 *   upgradeWebSocket,
 *   adapter: createUpstashAdapter({
 *     url: Deno.env.get("UPSTASH_REDIS_REST_URL")!,
 *     token: Deno.env.get("UPSTASH_REDIS_REST_TOKEN")!,
 *   }),
 * });
 * io.on("connection", (socket) => socket.on("chat", (text) => io.emit("chat", text)));
 * Deno.serve(io.fetch);
 * ```
 *
 * @module
 */

import { Redis } from "@upstash/redis";
import type { Packet } from "../parser/socket_packet.ts";
import { encodeOptions } from "./_cluster_remote.ts";
import { UpstashBus } from "./_upstash_bus.ts";
import { LiveSessions } from "./_upstash_live.ts";
import { DirectSender } from "./_upstash_direct.ts";
import { type HubMember, UpstashHub } from "./_upstash_hub.ts";
import { isRecoverable, recoverableBroadcast, RedisRecovery } from "./_upstash_recovery.ts";
import { ClusterAdapter } from "./cluster.ts";
import { decodeMessage, encodeMessage } from "./cluster_codec.ts";
import {
  type ClusterMessage,
  type ForwardedRequest,
  type ForwardedResponse,
  MessageType,
  type RelayLink,
} from "./cluster_message.ts";
import {
  type ResolvedUpstashOptions,
  resolveUpstashOptions,
  type UpstashAdapterOptions,
  type UpstashCommands,
} from "./upstash_options.ts";
import type { ClusterTimers } from "./_cluster_requests.ts";
import { GLOBAL_TIMERS } from "./cluster_options.ts";
import type {
  AdapterNamespace,
  AdapterSocket,
  BroadcastOptions,
  PersistedSession,
  RestoredSession,
  Room,
  SocketDetails,
  SocketId,
} from "./types.ts";

export type { UpstashAdapterOptions, UpstashCommands };

/**
 * The adapter of one namespace over Upstash; make the class with
 * {@linkcode createUpstashAdapter}.
 *
 * @example The class a Server takes
 * ```ts
 * import { createUpstashAdapter, UpstashAdapter } from "@edgeio/edgeio/adapter/upstash";
 * import assert from "node:assert/strict";
 *
 * const Upstash = createUpstashAdapter({ url: "https://example.upstash.io", token: "t" });
 * assert.equal(Object.getPrototypeOf(Upstash), UpstashAdapter);
 * ```
 */
export class UpstashAdapter extends ClusterAdapter {
  readonly #o: ResolvedUpstashOptions;
  readonly #bus: UpstashBus;
  readonly #recovery: RedisRecovery | undefined;
  readonly #timers: ClusterTimers;
  // Ends the SDK's requests still in flight when the adapter closes.
  readonly #abort = new AbortController();
  // The sessions of the connected sockets, kept in the store (with recovery on).
  readonly #live: LiveSessions | undefined;
  #closing = false;
  // Local deliveries of recoverable broadcasts, in the order they were broadcast.
  #local: Promise<void> = Promise.resolve();
  #started: Promise<void> | undefined;
  #up: (() => void) | undefined;
  #lastId: string | undefined;
  // The streams this namespace shares with the server's other namespaces.
  readonly #hub: UpstashHub;
  readonly #member: HubMember;
  // Publishes messages addressed to other servers.
  readonly #sender: DirectSender;

  /**
   * Makes the adapter; nothing connects until it is used.
   *
   * @param nsp The namespace.
   * @param options The options.
   */
  constructor(nsp: AdapterNamespace, options: UpstashAdapterOptions) {
    const o = resolveUpstashOptions(options);
    const client = (signal: () => AbortSignal) =>
      options.redis ??
        new Redis({
          url: o.url,
          token: o.token,
          automaticDeserialization: false,
          enableTelemetry: false,
          // The log retries in order and reports what it gives up; the SDK's own retries would
          // hold a request (and its timer) for seconds after close().
          retry: { retries: 0 },
          signal,
        }) as unknown as UpstashCommands;
    const timers = options.timers ?? GLOBAL_TIMERS;
    const read = options.fetch ?? ((input, init) => fetch(input, init));
    // The namespaces of one server share its streams and its uid (by the server itself; by the
    // options, first free hub, for a namespace that does not name its server).
    const hub = UpstashHub.for(nsp.server ?? options, nsp.name, {
      redis: (signal) => client(() => signal),
      url: o.url,
      token: o.token,
      fetch: read,
      key: o.key,
      uid: options.uid,
      idleTimeout: o.idleTimeout,
      pingInterval: o.heartbeatInterval,
      maxPending: o.maxPending,
      maxRetryTime: o.maxRetryTime,
      retry: o.retry,
      timers,
    });
    super(nsp, { ...options, uid: hub.uid, recoveryLog: "external" });
    this.#o = o;
    this.#hub = hub;
    this.#member = {
      direct: (message) => this.onMessage(message),
      directDown: () => this.endRelays("the channel of messages addressed to this server dropped"),
      error: (error, lost) => this.#report(error, lost),
    };
    hub.join(nsp.name, this.#member);
    const redis = client(() => this.#abort.signal);
    const base = `${o.key}#${nsp.name}#`;
    this.#timers = timers;
    this.#bus = new UpstashBus({
      redis,
      url: o.url,
      token: o.token,
      fetch: read,
      channel: base,
      stream: hub.logStream(base),
      logKey: base + "log",
      logSize: o.logSize,
      maxPending: o.maxPending,
      maxRetryTime: o.maxRetryTime,
      idleTimeout: o.idleTimeout,
      retry: o.retry,
      timers,
      onMessage: (id, text) => this.#receive(id, text),
      onError: (error, lost) => this.#report(error, lost),
      onUp: () => this.#up?.(),
      // The store may have lost the sessions of the connected sockets too: write them again.
      onReset: () => this.#live?.rewriteAll(),
    });
    this.#sender = new DirectSender({
      redis,
      key: o.key,
      maxPending: o.maxPending,
      maxRetryTime: o.maxRetryTime,
      retry: o.retry,
      timers,
      onError: (error, lost) => this.#report(error, lost),
    });
    const recovery = nsp.connectionStateRecovery;
    if (recovery) {
      this.#recovery = new RedisRecovery(redis, {
        nsp: nsp.name,
        prefix: base,
        logKey: base + "log",
        maxAge: recovery.maxDisconnectionDuration,
        heartbeatTimeout: o.heartbeatTimeout,
      });
      this.#live = new LiveSessions({
        recovery: this.#recovery,
        uid: this.uid,
        heartbeatInterval: o.heartbeatInterval,
        timers,
        describe: (id) => this.#describe(id),
        report: (error) => this.#report(error, 0),
      });
    }
  }

  /** Messages waiting for the store (non-zero while it is unreachable). */
  get pending(): number {
    return this.#bus.pending;
  }

  /** Subscribes now, unless `lazy` (the default) leaves it to the first use. */
  override init(): Promise<void> {
    return this.#o.lazy ? Promise.resolve() : this.#start();
  }

  /**
   * Says goodbye to the cluster, lets the sessions of the sockets just disconnected reach the
   * store (for a second at most), then unsubscribes and ends every request.
   */
  override async close(): Promise<void> {
    const started = this.#started;
    this.#closing = true;
    this.#live?.stop();
    const goodbye = super.close();
    if (started) {
      // Messages to one server (the goodbyes of relays among them) leave too.
      const direct = this.#sender.sent();
      await this.#within(Promise.all([goodbye, this.#live?.leave(), direct]), 1000);
    }
    this.#bus.close();
    this.#sender.close();
    this.#hub.leave(this.nsp.name, this.#member);
    this.#abort.abort(new Error("Cannot reach the store: the adapter closed"));
  }

  /**
   * The number of servers alive in the cluster, this one included (subscribing first, for
   * `requestsTimeout` at most).
   */
  override serverCount(): Promise<number> {
    return this.#ready().then(() => super.serverCount());
  }

  /**
   * Adds a socket to rooms; with recovery on, its session is written to the store once this
   * turn's changes are done, so it can resume elsewhere even if this server dies.
   *
   * @param id The socket id.
   * @param rooms The rooms to join.
   */
  override addAll(id: SocketId, rooms: Set<Room>): void | Promise<void> {
    void this.#start();
    const added = super.addAll(id, rooms);
    this.#live?.changed(id);
    return added;
  }

  /**
   * Removes a socket from a room (and, with recovery on, updates its session in the store).
   *
   * @param id The socket id.
   * @param room The room to leave.
   */
  override del(id: SocketId, room: Room): void | Promise<void> {
    const removed = super.del(id, room);
    this.#live?.changed(id);
    return removed;
  }

  /**
   * Removes a socket from all its rooms; with recovery on, the session of the connected
   * socket leaves the store (a recoverable one was persisted just before).
   *
   * @param id The socket id.
   */
  override delAll(id: SocketId): void {
    super.delAll(id);
    this.#live?.left(id);
  }

  /**
   * Delivers here and on every other server. With recovery on, a recoverable event goes into
   * the shared log first, and every server appends its log id as the offset; this server's
   * clients get it once the id is known (or `localDeliveryTimeout` passed), in broadcast order.
   *
   * @param packet The packet.
   * @param opts Whom it reaches, and how.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!this.#recovery || !isRecoverable(packet, opts.flags)) return super.broadcast(packet, opts);
    // The log id is the offset every node appends, so the local copy waits for it (briefly:
    // local clients are not kept waiting on an unreachable store), behind the broadcasts
    // before it, so local clients get them in order too.
    const message = encodeMessage({
      uid: this.uid,
      nsp: this.nsp.name,
      type: MessageType.BROADCAST,
      data: {
        packet: { ...packet, data: [...(packet.data as unknown[])] },
        opts: encodeOptions(opts),
      },
    });
    void this.#start();
    this.#live?.touch();
    const deadline = Date.now() + this.#o.localDeliveryTimeout;
    // A message given up has been reported already; here it is only delivered without an id.
    const publishing = this.#bus.publish(message).catch(() => undefined);
    const published = this.#bus.failing ? undefined : publishing;
    const deliver = (id: string | undefined) => {
      if (id !== undefined) (packet.data as unknown[]).push(id);
      this.broadcastHere(packet, opts);
    };
    this.#local = this.#local
      .then(() =>
        published ? this.#within(published, Math.max(0, deadline - Date.now())) : undefined
      )
      .then(deliver)
      .catch((error) => this.#report(error, 0));
  }

  /**
   * Describes the matching sockets of every server (subscribing first, for `requestsTimeout`
   * at most).
   *
   * @param opts The rooms and exceptions, as for a broadcast.
   */
  override fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    return this.#ready().then(() => super.fetchSockets(opts));
  }

  /** Subscribes (for `requestsTimeout` at most), so requests forwarded here arrive. */
  override async ready(): Promise<void> {
    await this.#ready();
  }

  /**
   * Subscribes to the cluster's channel and to this server's own, where messages addressed to
   * it arrive (forwarded requests, relayed WebSockets and their answers), for `requestsTimeout`
   * at most.
   */
  override async readyToForward(): Promise<void> {
    await this.#within(
      Promise.all([this.#start(), this.#closing ? undefined : this.#hub.direct()]),
      this.#o.requestsTimeout,
    );
  }

  /**
   * Hands an HTTP request to the server that owns its session (see
   * {@linkcode ClusterAdapter.forwardRequest}), subscribing first (for `requestsTimeout` at
   * most), so an isolate that has served nobody yet can forward too.
   *
   * @param owner The uid of the owner.
   * @param request The request, as plain data.
   * @param timeout Milliseconds to wait for the answer.
   * @returns The owner's response, as plain data.
   */
  override async forwardRequest(
    owner: string,
    request: ForwardedRequest,
    timeout: number,
  ): Promise<ForwardedResponse> {
    await this.readyToForward();
    return await super.forwardRequest(owner, request, timeout);
  }

  /**
   * Asks the server that owns a session to take a WebSocket upgrade (see
   * {@linkcode ClusterAdapter.openRelay}), subscribing first (for `requestsTimeout` at most).
   *
   * @param owner The uid of the owner.
   * @param request The upgrade request, as plain data.
   * @param timeout Milliseconds to wait for the answer.
   * @returns The owner's answer, with the link when accepted.
   */
  override async openRelay(
    owner: string,
    request: ForwardedRequest,
    timeout: number,
  ): Promise<{ response: ForwardedResponse; link?: RelayLink }> {
    await this.readyToForward();
    return await super.openRelay(owner, request, timeout);
  }

  /** The log id of the newest message received, with recovery on. */
  override currentOffset(): string | undefined {
    return this.#recovery ? this.#lastId : undefined;
  }

  /**
   * Keeps a disconnected socket's session in the store for `maxDisconnectionDuration`; a
   * failure is reported on `error`.
   *
   * @param session The session.
   */
  override async persistSession(session: PersistedSession): Promise<void> {
    if (this.#recovery) await this.#live?.write(this.#recovery.persist(session));
  }

  /**
   * Takes back a session from the store, left by a disconnection on any server or by a socket
   * of a server that died, with the packets it missed from the shared log; `null` (and an
   * `error` event) when the store cannot be reached.
   *
   * @param pid The private id the client presented.
   * @param offset The offset of the last packet the client got, if any.
   */
  override async restoreSession(pid: string, offset?: string): Promise<RestoredSession | null> {
    if (!this.#recovery) return null;
    try {
      return await this.#recovery.restore(pid, offset);
    } catch (error) {
      this.#report(error, 0);
      return null;
    }
  }

  /**
   * Appends a message to the log and publishes it. Never rejects: a message given up has been
   * reported on `error` with `lost`.
   *
   * @param message The message.
   */
  protected override doPublish(message: ClusterMessage): Promise<void> {
    void this.#start();
    this.#live?.touch();
    // A failure has been reported (with the number of messages lost) by the log already.
    const heartbeat = message.type === MessageType.HEARTBEAT;
    return this.#bus.publish(encodeMessage(message), heartbeat).then(() => {}, () => {});
  }

  /**
   * Sends a message addressed to one server: forwarded requests, their answers and relay frames
   * go on that server's own channel (not through the log every server reads); other responses
   * go through the log.
   *
   * @param requesterUid The server it is for.
   * @param response The message.
   */
  protected override doPublishResponse(
    requesterUid: string,
    response: ClusterMessage,
  ): Promise<void> {
    if (!DIRECT.has(response.type)) return super.doPublishResponse(requesterUid, response);
    // A failure has been reported (with the number of messages lost) by the publisher already.
    return this.#sender.publish(requesterUid, encodeMessage(response)).catch(() => {});
  }

  #start(): Promise<void> {
    return this.#started ??= new Promise<void>((resolve) => {
      this.#up = () => {
        this.#up = undefined;
        this.#live?.touch();
        resolve(super.init());
      };
      this.#bus.start();
    });
  }

  // Started, or the time for a request ran out: what needs the cluster does not hang on a
  // store that is away.
  #ready(): Promise<unknown> {
    return this.#within(this.#start(), this.#o.requestsTimeout);
  }

  #receive(id: string, text: string): void {
    this.#lastId = id;
    let message: ClusterMessage;
    try {
      message = decodeMessage(text);
    } catch (error) {
      return this.#report(error, 0);
    }
    if (this.#recovery && message.uid !== this.uid) {
      const broadcast = recoverableBroadcast(message);
      if (broadcast) (broadcast.data.packet.data as unknown[]).push(id);
    }
    this.onMessage(message);
  }

  // The session of a connected socket, as the store keeps it.
  #describe(id: SocketId): PersistedSession | undefined {
    const socket = this.nsp.sockets.get(id) as RecoverableSocket | undefined;
    const rooms = this.sids.get(id);
    if (!socket?.connected || typeof socket.pid !== "string" || !rooms) return undefined;
    return {
      sid: id,
      pid: socket.pid,
      rooms: [...rooms],
      data: socket.describe().data,
      connectedAtOffset: socket.connectedAtOffset,
    };
  }

  #report(error: unknown, lost: number): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (lost) Object.assign(failure, { lost });
    if (this.listenerCount("error")) this.emit("error", failure);
  }

  // Settles with `promise`, or with undefined after `ms`; the timer never outlives it.
  #within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    promise.catch(() => {});
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }
}

// The messages that go on their destination's own channel.
const DIRECT: ReadonlySet<MessageType> = new Set([
  MessageType.FORWARD_REQUEST,
  MessageType.FORWARD_RESPONSE,
  MessageType.RELAY_OPEN,
  MessageType.RELAY_FRAME,
  MessageType.RELAY_CLOSE,
]);

// What the adapter reads of a server's socket to keep its session while it is connected.
interface RecoverableSocket extends AdapterSocket {
  readonly pid?: unknown;
  readonly connectedAtOffset?: string | undefined;
}

/**
 * Makes the adapter class a `Server` takes, bound to one Upstash database.
 *
 * @example
 * ```ts
 * import { Server } from "@edgeio/edgeio";
 * import { createUpstashAdapter, UpstashAdapter } from "@edgeio/edgeio/adapter/upstash";
 * import assert from "node:assert/strict";
 *
 * const io = new Server({
 *   adapter: createUpstashAdapter({ url: "https://example.upstash.io", token: "secret" }),
 * });
 * assert.ok(io.of("/").adapter instanceof UpstashAdapter);
 * await io.close();
 * ```
 *
 * @param options Where the database is, and how the adapter behaves.
 * @returns A class taking the namespace, as `new Server({ adapter })` expects.
 * @throws {TypeError} When `url` or `token` is missing.
 */
export function createUpstashAdapter(
  options: UpstashAdapterOptions,
): new (nsp: AdapterNamespace) => UpstashAdapter {
  resolveUpstashOptions(options);
  return class extends UpstashAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, options);
    }
  };
}
