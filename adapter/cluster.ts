/**
 * The cluster layer: the request/response protocol of socket.io-adapter 2.5's
 * `ClusterAdapterWithHeartbeat`, written once over the in-memory {@linkcode Adapter}, so a
 * concrete adapter only publishes messages and hands over those it receives.
 *
 * @module
 */

import type { Packet } from "../parser/socket_packet.ts";
import { checkArray, checkFunction } from "./_checks.ts";
import { Forwards } from "./_cluster_forwards.ts";
import { Nodes } from "./_cluster_nodes.ts";
import { Relays } from "./_cluster_relays.ts";
import {
  encodeOptions,
  handleMessage,
  type MessageHost,
  type Outgoing,
} from "./_cluster_remote.ts";
import {
  broadcastAckHandlers,
  fetchHandlers,
  randomId,
  Requests,
  serverSideEmitHandlers,
} from "./_cluster_requests.ts";
import { Adapter } from "./adapter.ts";
import { decodeMessage } from "./cluster_codec.ts";
import {
  checkMessage,
  type ClusterMessage,
  type ForwardedRequest,
  type ForwardedResponse,
  MessageType,
  type RelayLink,
} from "./cluster_message.ts";
import {
  type ClusterAdapterOptions,
  resolveClusterOptions,
  type ResolvedClusterOptions,
} from "./cluster_options.ts";
import type { AdapterNamespace, BroadcastOptions, SocketDetails } from "./types.ts";

// Messages from socket.io's emitter packages carry this uid; they are no server to count.
const EMITTER_UID = "emitter";

/**
 * An adapter whose namespace spans several servers. It keeps the in-memory adapter's rooms and
 * local delivery, and sends what must reach the other servers as {@linkcode ClusterMessage}s:
 * broadcasts (with rooms, exceptions and flags; the `local` flag keeps one on this server),
 * broadcasts with acks (every server reports how many clients it reached, then each ack),
 * `socketsJoin`/`socketsLeave`/`disconnectSockets`, `fetchSockets` and `serverSideEmit` (with
 * acks: one answer per server). Servers know each other by heartbeat: `init()` announces this
 * one and beats every `heartbeatInterval`; a server silent for `heartbeatTimeout` is dropped and
 * no request waits for it any longer. `close()` says goodbye, ends every request and timer.
 *
 * A subclass implements {@linkcode ClusterAdapter.doPublish} (to every server; maybe
 * {@linkcode ClusterAdapter.doPublishResponse}, to one) and calls
 * {@linkcode ClusterAdapter.onMessage} with each message it receives, its own included. Give
 * `new Server()` a subclass that takes only the namespace.
 *
 * Connection state recovery stays per server: each logs what it delivers. An emit to a single
 * socket of this server (`socket.emit` with recovery on) is not published.
 *
 * @example Two servers over a tiny in-process bus
 * ```ts
 * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
 * import { Server } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const members = new Set<ClusterAdapter>();
 * class BusAdapter extends ClusterAdapter {
 *   protected override doPublish(message: ClusterMessage): Promise<void> {
 *     for (const member of members) queueMicrotask(() => member.onMessage(message));
 *     return Promise.resolve();
 *   }
 *   override init(): Promise<void> {
 *     members.add(this);
 *     return super.init();
 *   }
 *   override close(): Promise<void> {
 *     members.delete(this);
 *     return super.close();
 *   }
 * }
 * const a = new Server({ adapter: BusAdapter });
 * const b = new Server({ adapter: BusAdapter });
 * b.sockets.on("hello", (name: string, ack: (answer: string) => void) => ack(`hi ${name}`));
 * await new Promise((resolve) => setTimeout(resolve, 0));
 *
 * assert.equal(await a.of("/").adapter.serverCount(), 2);
 * assert.deepEqual(await a.serverSideEmitWithAck("hello", "a"), ["hi a"]);
 * await a.close();
 * await b.close();
 * ```
 */
export abstract class ClusterAdapter extends Adapter {
  readonly #options: ResolvedClusterOptions;
  readonly #requests: Requests;
  readonly #nodes: Nodes;
  #uid: string | undefined;
  #state: "new" | "running" | "closed" = "new";
  readonly #forwards: Forwards;
  readonly #relays = new Relays((peer, body) => this.#respond(peer, body));

  /**
   * Answers an HTTP request another server forwarded here because this server owns its session
   * (see {@linkcode ClusterAdapter.forwardRequest}). A `Server` with `forwardRequests: true`
   * installs it on the adapter of `/`; without it, forwarded requests go unanswered (their
   * sender times out).
   *
   * @example A Server with `forwardRequests: true` installs it
   * ```ts
   * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
   * import { Server } from "@edgeio/edgeio/server";
   * import assert from "node:assert/strict";
   *
   * class Alone extends ClusterAdapter {
   *   protected override doPublish(_message: ClusterMessage): Promise<void> {
   *     return Promise.resolve();
   *   }
   * }
   * const io = new Server({ adapter: Alone, forwardRequests: true });
   * const adapter = io.of("/").adapter as Alone;
   * assert.equal(typeof adapter.onForwardedRequest, "function");
   * await io.close();
   * ```
   */
  onForwardedRequest: ((request: ForwardedRequest) => Promise<ForwardedResponse>) | undefined;

  /**
   * Answers a WebSocket upgrade another server relays here because this server owns its
   * session (see {@linkcode ClusterAdapter.openRelay}): `101` when the session takes `link` as
   * its WebSocket, else the response the server would answer directly. A `Server` with
   * `forwardRequests: true` installs it on the adapter of `/`.
   *
   * @example A Server with `forwardRequests: true` installs it
   * ```ts
   * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
   * import { Server } from "@edgeio/edgeio/server";
   * import assert from "node:assert/strict";
   *
   * class Alone extends ClusterAdapter {
   *   protected override doPublish(_message: ClusterMessage): Promise<void> {
   *     return Promise.resolve();
   *   }
   * }
   * const io = new Server({ adapter: Alone, forwardRequests: true });
   * assert.equal(typeof (io.of("/").adapter as Alone).onRelayRequest, "function");
   * await io.close();
   * ```
   */
  onRelayRequest:
    | ((request: ForwardedRequest, link: RelayLink) => Promise<ForwardedResponse>)
    | undefined;

  /**
   * Makes the adapter of a namespace. Nothing starts here: no I/O, no timer, no random id.
   *
   * @param nsp The namespace.
   * @param options Timing and test hooks; see {@linkcode ClusterAdapterOptions}.
   * @throws {RangeError} When an option is out of range.
   * @throws {TypeError} When `timers` or `now` is not what it should be.
   */
  constructor(nsp: AdapterNamespace, options: ClusterAdapterOptions = {}) {
    const resolved = resolveClusterOptions(options);
    super(nsp, resolved.now, options);
    this.#options = resolved;
    this.#requests = new Requests(resolved.timers);
    this.#forwards = new Forwards(resolved.timers);
    this.#nodes = new Nodes({
      ...resolved,
      beat: () => this.#publish({ type: MessageType.HEARTBEAT }),
      dropped: (uid) => {
        this.#requests.drop(uid);
        this.#forwards.drop(uid);
        this.#relays.drop(uid);
      },
    });
    if (resolved.uid !== undefined) this.#uid = resolved.uid;
  }

  /** This adapter's id in the cluster (random unless the `uid` option set it). */
  get uid(): string {
    return this.#uid ??= randomId();
  }

  /**
   * Sends a message to every server of the cluster (this one may get it back; it is ignored).
   *
   * @param message The message.
   */
  protected abstract doPublish(message: ClusterMessage): Promise<void>;

  /**
   * Sends a response to the server that asked. By default it goes to every server, like
   * {@linkcode ClusterAdapter.doPublish}; the others ignore it.
   *
   * @param requesterUid The uid of the server that asked.
   * @param response The response.
   */
  protected doPublishResponse(requesterUid: string, response: ClusterMessage): Promise<void> {
    void requesterUid;
    return this.doPublish(response);
  }

  /** Announces this server (INITIAL_HEARTBEAT) and starts the heartbeat. Never rejects. */
  override init(): Promise<void> {
    if (this.#state !== "new") return Promise.resolve();
    this.#state = "running";
    this.#nodes.start();
    return this.#publish({ type: MessageType.INITIAL_HEARTBEAT });
  }

  /**
   * Says goodbye (ADAPTER_CLOSE), stops every timer, ends pending requests with an error and
   * forgets the recovery log. Never rejects.
   */
  override close(): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    const announce = this.#state === "running";
    const sent = announce ? this.#publish({ type: MessageType.ADAPTER_CLOSE }) : Promise.resolve();
    this.#state = "closed";
    this.#nodes.stop();
    this.#requests.closeAll();
    this.#forwards.closeAll();
    this.#relays.endAll("the adapter closed");
    void super.close();
    return sent;
  }

  /**
   * Resolves once this adapter receives the cluster's messages, so requests forwarded to it
   * (see {@linkcode ClusterAdapter.forwardRequest}) reach it; at once here (`init()` did it), a
   * subclass that connects lazily connects first.
   *
   * @returns When it is ready.
   *
   * @example
   * ```ts
   * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
   * import { Server } from "@edgeio/edgeio/server";
   *
   * class Alone extends ClusterAdapter {
   *   protected override doPublish(_message: ClusterMessage): Promise<void> {
   *     return Promise.resolve();
   *   }
   * }
   * const io = new Server({ adapter: Alone });
   * await (io.of("/").adapter as Alone).ready();
   * await io.close();
   * ```
   */
  override ready(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Resolves once messages addressed to this server (forwarded requests, relayed WebSockets)
   * reach it: as {@linkcode ClusterAdapter.ready} here; a subclass with a channel of its own for
   * them opens it first.
   *
   * @returns When it is ready.
   *
   * @example
   * ```ts
   * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
   * import { Server } from "@edgeio/edgeio/server";
   *
   * class Alone extends ClusterAdapter {
   *   protected override doPublish(_message: ClusterMessage): Promise<void> {
   *     return Promise.resolve();
   *   }
   * }
   * const io = new Server({ adapter: Alone });
   * await (io.of("/").adapter as Alone).readyToForward();
   * await io.close();
   * ```
   */
  readyToForward(): Promise<void> {
    return this.ready();
  }

  /** The number of servers alive in the cluster, this one included. */
  override serverCount(): Promise<number> {
    return Promise.resolve(this.#nodes.live().length + 1);
  }

  /**
   * Takes a message from the transport: text as {@linkcode encodeMessage} writes it, or an
   * object. Messages of this adapter itself or of another namespace are ignored; a malformed
   * one, or one whose handling throws, is dropped with an `error` event. Never throws.
   *
   * @param message The message.
   */
  onMessage(message: ClusterMessage | string): void {
    if (this.#state === "closed") return;
    try {
      const checked = typeof message === "string" ? decodeMessage(message) : checkMessage(message);
      if (checked.uid === this.uid || checked.nsp !== this.nsp.name) return;
      if (checked.uid !== EMITTER_UID) this.#nodes.seen(checked.uid);
      handleMessage(checked, this.#host);
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Delivers to this server's clients only, without publishing: for a subclass that publishes a
   * broadcast its own way (the Upstash adapter delivers a recoverable one once its log id is
   * known).
   *
   * @param packet The packet.
   * @param opts Whom it reaches, and how.
   */
  protected broadcastHere(packet: Packet, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
  }

  /** Delivers here and, unless the `local` flag is set, on every other server. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const message = this.#isLocal(opts) ? undefined : {
      type: MessageType.BROADCAST,
      data: { packet: this.#copy(packet), opts: encodeOptions(opts) },
    } as const;
    super.broadcast(packet, opts);
    if (message) this.#publish(message);
  }

  /**
   * Delivers here and on every other server; `clientCountCallback` gets the number of clients
   * reached on all of them once each live server reported (or the time ran out: the `timeout`
   * flag, else `requestsTimeout`), and `ack` every client's answer.
   */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    checkFunction("broadcast with ack", "clientCountCallback", clientCountCallback);
    const copy = this.#copy(packet);
    let count = 0;
    super.broadcastWithAck(packet, opts, (local) => count = local, ack);
    if (this.#isLocal(opts)) return clientCountCallback(count);
    const id = randomId();
    const from = new Set(this.#nodes.live());
    const finish = () => this.#requests.finish(id);
    const handlers = broadcastAckHandlers(from, count, clientCountCallback, ack, finish);
    this.#requests.open(id, from, opts.flags?.timeout ?? this.#options.requestsTimeout, handlers);
    this.#publish({
      type: MessageType.BROADCAST,
      data: { packet: copy, opts: encodeOptions(opts), requestId: id },
    });
  }

  /** Makes the matching sockets join rooms, here and on every other server. */
  override addSockets(opts: BroadcastOptions, rooms: string[]): void {
    super.addSockets(opts, rooms);
    this.#publishUnlessLocal(opts, {
      type: MessageType.SOCKETS_JOIN,
      data: { opts: encodeOptions(opts), rooms },
    });
  }

  /** Makes the matching sockets leave rooms, here and on every other server. */
  override delSockets(opts: BroadcastOptions, rooms: string[]): void {
    super.delSockets(opts, rooms);
    this.#publishUnlessLocal(opts, {
      type: MessageType.SOCKETS_LEAVE,
      data: { opts: encodeOptions(opts), rooms },
    });
  }

  /** Disconnects the matching sockets, here and on every other server. */
  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    this.#publishUnlessLocal(opts, {
      type: MessageType.DISCONNECT_SOCKETS,
      data: { opts: encodeOptions(opts), close },
    });
  }

  /**
   * Describes the matching sockets of every server. Resolves once every live server answered
   * (or was found dead); rejects when one does not answer within the `timeout` flag, else
   * `requestsTimeout`, or when the adapter closes first.
   */
  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found = await super.fetchSockets(opts);
    if (opts.flags?.local || this.#state === "closed") return found;
    const from = this.#nodes.live();
    if (from.length === 0) return found;
    const ms = opts.flags?.timeout ?? this.#options.requestsTimeout;
    return new Promise((resolve, reject) => {
      const id = randomId();
      this.#requests.open(id, from, ms, fetchHandlers(found, from.length, ms, resolve, reject));
      const data = { opts: encodeOptions(opts), requestId: id };
      this.#publish({ type: MessageType.FETCH_SOCKETS, data });
    });
  }

  /**
   * Sends an event to the other servers. With an ack callback last, it gets `(null, responses)`
   * with one response per live server, or, when one does not answer within `requestsTimeout`
   * (or the adapter closes), an error carrying `responses` and the responses gathered so far.
   */
  override serverSideEmit(args: unknown[]): void {
    checkArray("emit to other servers", "args", args);
    const last: unknown = args[args.length - 1];
    if (typeof last !== "function") {
      this.#publish({ type: MessageType.SERVER_SIDE_EMIT, data: { packet: args } });
      return;
    }
    const ack = last as (error: Error | null, responses: unknown[]) => void;
    const packet = args.slice(0, -1);
    const from = this.#state === "closed" ? [] : this.#nodes.live();
    if (from.length === 0) return ack(null, []);
    const ms = this.#options.requestsTimeout;
    const id = randomId();
    this.#requests.open(id, from, ms, serverSideEmitHandlers(from.length, ms, ack));
    this.#publish({ type: MessageType.SERVER_SIDE_EMIT, data: { packet, requestId: id } });
  }

  /**
   * Hands an HTTP request to the server `owner` (a uid of this namespace's cluster) and resolves
   * with its answer. Rejects at once when the adapter is not running; after `timeout`
   * milliseconds without an answer (`requestsTimeout` at most when `owner` is not a server this
   * one has heard from); and when the adapter closes first.
   *
   * @param owner The uid of the server that owns the request's session.
   * @param request The request, as plain data.
   * @param timeout Milliseconds to wait for the answer (longer than a parked long poll).
   * @returns The owner's response, as plain data.
   *
   * @example A server nobody answers for
   * ```ts
   * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
   * import { Server } from "@edgeio/edgeio/server";
   * import assert from "node:assert/strict";
   *
   * class Alone extends ClusterAdapter {
   *   constructor(nsp: ConstructorParameters<typeof ClusterAdapter>[0]) {
   *     super(nsp, { requestsTimeout: 50 });
   *   }
   *   protected override doPublish(_message: ClusterMessage): Promise<void> {
   *     return Promise.resolve();
   *   }
   * }
   * const io = new Server({ adapter: Alone, forwardRequests: true });
   * const adapter = io.of("/").adapter as Alone;
   * await assert.rejects(
   *   adapter.forwardRequest("nobody", { method: "GET", url: "http://x/", headers: [] }, 1000),
   *   { message: "Cannot forward request: nobody did not answer within 50 ms" },
   * );
   * await io.close();
   * ```
   */
  forwardRequest(
    owner: string,
    request: ForwardedRequest,
    timeout: number,
  ): Promise<ForwardedResponse> {
    return this.#ask(owner, timeout, (requestId) => ({
      type: MessageType.FORWARD_REQUEST,
      data: { requestId, target: owner, request },
    }));
  }

  // Sends `owner` a request made with its id and waits for its FORWARD_RESPONSE.
  #ask(
    owner: string,
    timeout: number,
    make: (requestId: string) => Outgoing,
  ): Promise<ForwardedResponse> {
    if (this.#state !== "running") {
      return Promise.reject(new Error("Cannot forward request: the adapter is not running"));
    }
    // A server not heard from (yet: a fresh isolate learns the others from their heartbeats)
    // gets `requestsTimeout` at most; a dead one's sessions are gone anyway.
    if (!this.#nodes.live().includes(owner)) {
      timeout = Math.min(timeout, this.#options.requestsTimeout);
    }
    return this.#forwards.open(owner, timeout, (requestId) => {
      void this.#respond(owner, make(requestId));
    });
  }

  /**
   * Asks the server `owner` to take a WebSocket upgrade for a session it owns. Resolves with its
   * answer: status `101` and a `link` when it accepted (frames then go both ways over the
   * cluster; the caller attaches to the link and upgrades the client's connection), else the
   * error response it would answer directly. Rejects as {@linkcode ClusterAdapter.forwardRequest}.
   *
   * @param owner The uid of the server that owns the request's session.
   * @param request The upgrade request, as plain data.
   * @param timeout Milliseconds to wait for the answer.
   * @returns The owner's answer, with the link when accepted.
   *
   * @example A server nobody answers for
   * ```ts
   * import { ClusterAdapter, type ClusterMessage } from "@edgeio/edgeio/adapter";
   * import { Server } from "@edgeio/edgeio/server";
   * import assert from "node:assert/strict";
   *
   * class Alone extends ClusterAdapter {
   *   constructor(nsp: ConstructorParameters<typeof ClusterAdapter>[0]) {
   *     super(nsp, { requestsTimeout: 50 });
   *   }
   *   protected override doPublish(_message: ClusterMessage): Promise<void> {
   *     return Promise.resolve();
   *   }
   * }
   * const io = new Server({ adapter: Alone, forwardRequests: true });
   * const adapter = io.of("/").adapter as Alone;
   * await assert.rejects(
   *   adapter.openRelay("nobody", { method: "GET", url: "http://x/", headers: [] }, 1000),
   *   { message: "Cannot forward request: nobody did not answer within 50 ms" },
   * );
   * await io.close();
   * ```
   */
  async openRelay(
    owner: string,
    request: ForwardedRequest,
    timeout: number,
  ): Promise<{ response: ForwardedResponse; link?: RelayLink }> {
    let link: RelayLink | undefined;
    try {
      const response = await this.#ask(owner, timeout, (requestId) => {
        link = this.#relays.open(requestId, owner);
        return { type: MessageType.RELAY_OPEN, data: { requestId, target: owner, request } };
      });
      if (response.status === 101) return { response, link: link! };
      this.#relays.discard(link!);
      return { response };
    } catch (error) {
      if (link) this.#relays.discard(link);
      throw error;
    }
  }

  /**
   * Ends every relay of this server at once (a subclass whose channel for messages addressed to
   * it dropped: frames may have been lost).
   *
   * @param reason Why, for the sockets' close reason.
   */
  protected endRelays(reason: string): void {
    this.#relays.endAll(reason);
  }

  #answerRelay(message: Extract<ClusterMessage, { type: MessageType.RELAY_OPEN }>): void {
    const { requestId, target, request } = message.data;
    const handler = this.onRelayRequest;
    // A repeated id (a duplicate delivery) must not orphan the link it names.
    if (target !== this.uid || !handler || this.#relays.has(requestId)) return;
    const link = this.#relays.open(requestId, message.uid);
    handler(request, link).then(
      (response) => {
        if (response.status !== 101) this.#relays.discard(link);
        void this.#respond(message.uid, {
          type: MessageType.FORWARD_RESPONSE,
          data: { requestId, response },
        });
      },
      (error) => {
        link.close();
        this.#fail(error);
      },
    );
  }

  #answerForward(message: Extract<ClusterMessage, { type: MessageType.FORWARD_REQUEST }>): void {
    const { requestId, target, request } = message.data;
    const handler = this.onForwardedRequest;
    if (target !== this.uid || !handler) return;
    handler(request).then(
      (response) =>
        void this.#respond(message.uid, {
          type: MessageType.FORWARD_RESPONSE,
          data: { requestId, response },
        }),
      (error) => this.#fail(error),
    );
  }

  // What a message from another server may do here: the in-memory adapter's own operations,
  // and this adapter's bookkeeping.
  readonly #host: MessageHost = {
    nsp: this.nsp,
    broadcast: (packet, opts) => super.broadcast(packet, opts),
    broadcastWithAck: (packet, opts, count, ack) =>
      super.broadcastWithAck(packet, opts, count, ack),
    addSockets: (opts, rooms) => super.addSockets(opts, rooms),
    delSockets: (opts, rooms) => super.delSockets(opts, rooms),
    disconnectSockets: (opts, close) => super.disconnectSockets(opts, close),
    fetchSockets: (opts) => super.fetchSockets(opts),
    fail: (error) => this.#fail(error),
    publish: (body) => void this.#publish(body),
    reply: (requesterUid, body) => void this.#respond(requesterUid, body),
    removeNode: (uid) => this.#nodes.remove(uid),
    respond: (message, isAnswer) =>
      this.#requests.respond(message.data.requestId, message.uid, message, isAnswer),
    forwarded: (message) => this.#answerForward(message),
    forwardAnswered: (message) =>
      this.#forwards.settle(message.data.requestId, message.data.response),
    relayOpened: (message) => this.#answerRelay(message),
    relayed: (message) => {
      if (message.data.target === this.uid) this.#relays.receive(message);
    },
  };

  // An emit to one socket of this server (socket.emit with recovery on) concerns no other.
  #isLocal(opts: BroadcastOptions): boolean {
    if (opts.flags?.local || this.#state === "closed") return true;
    const [only] = opts.rooms;
    return opts.rooms.size === 1 && only !== undefined && this.nsp.sockets.has(only);
  }

  // The packet as it is before the local delivery sets its ack id or appends an offset.
  #copy(packet: Packet): Packet {
    const { id: _id, ...rest } = packet;
    return { ...rest, nsp: this.nsp.name };
  }

  #publishUnlessLocal(opts: BroadcastOptions, body: Outgoing): void {
    if (!this.#isLocal(opts)) void this.#publish(body);
  }

  #publish(body: Outgoing): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    const message = { ...body, uid: this.uid, nsp: this.nsp.name } as ClusterMessage;
    this.#nodes.published();
    return this.#send(() => this.doPublish(message));
  }

  #respond(requesterUid: string, body: Outgoing): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    const message = { ...body, uid: this.uid, nsp: this.nsp.name } as ClusterMessage;
    return this.#send(() => this.doPublishResponse(requesterUid, message));
  }

  // Runs a publish; what it throws or rejects with becomes an `error` event.
  #send(publish: () => Promise<void>): Promise<void> {
    try {
      return Promise.resolve(publish()).catch((error) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
      return Promise.resolve();
    }
  }

  #fail(error: unknown): void {
    this.emit("error", error instanceof Error ? error : new Error(String(error)));
  }
}
