/**
 * An adapter for mixed fleets: edgeio servers on Upstash's REST API and Node.js servers running
 * socket.io 4.8 with `@socket.io/redis-adapter` 8.3 on the same Redis share one bus, both ways.
 * It speaks the Node adapter's own protocol (its channels `<key>#<nsp>#`,
 * `<key>#<nsp>#<room>#`, `<key>-request#<nsp>#` and `<key>-response#<nsp>#`, its message
 * shapes and request types, servers counted with `PUBSUB NUMSUB`) with one condition on the
 * Node side: its `parser` option must be {@linkcode base64MsgpackParser}'s logic, because
 * Upstash delivers subscriptions as newline-separated text where raw MessagePack would not
 * survive. The Node side writes it with notepack.io and `Buffer`:
 *
 * ```js ignore
 * // Node: socket.io 4.8 + @socket.io/redis-adapter 8.3 + ioredis
 * import { createAdapter } from "@socket.io/redis-adapter";
 * import notepack from "notepack.io";
 * const parser = {
 *   encode: (value) => notepack.encode(value).toString("base64"),
 *   decode: (data) => notepack.decode(Buffer.from(data.toString(), "base64")),
 * };
 * io.adapter(createAdapter(pubClient, subClient, { parser }));
 * ```
 *
 * What works across: broadcasts to all, to rooms, with exceptions, binary included; broadcasts
 * with acks; `fetchSockets`, `socketsJoin`, `socketsLeave` and `disconnectSockets`; and
 * `serverSideEmit`, with acks. What does not: connection state recovery stays per server (as with
 * the Node adapter), and a message published while a stream was being reopened is lost (there is
 * no log to read back, as there is none on the Node side). Binary sent by Node in
 * `serverSideEmit` arrives as `{ type: "Buffer", data }`, since Node sends requests as JSON.
 *
 * Two event streams stay open per namespace: one pattern subscription that carries every channel
 * of the namespace in publication order, and one subscription to the request channel, so that
 * `PUBSUB NUMSUB` counts this server. When the request channel carried nothing else for
 * `heartbeatInterval`, the adapter publishes a ping there (`{"uid":…,"type":"edgeio-ping"}`),
 * which Node servers ignore as a request of an unknown type: a stream silent for three intervals
 * is taken for dead and reopened.
 *
 * @example An edgeio server in a Node fleet
 * ```ts ignore
 * import { Server } from "@edgeio/edgeio";
 * import { createUpstashNodeAdapter } from "@edgeio/edgeio/adapter/upstash-node";
 * import { upgradeWebSocket } from "@edgeio/edgeio/deno";
 *
 * const io = new Server({
 *   upgradeWebSocket,
 *   adapter: createUpstashNodeAdapter({
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

import type { Packet } from "../parser/socket_packet.ts";
import { checkArray, checkFunction } from "./_checks.ts";
import { randomId } from "./_cluster_requests.ts";
import { GLOBAL_TIMERS } from "./cluster_options.ts";
import { NodeBus } from "./_upstash_node_bus.ts";
import { handleBroadcast, handleRequest, type IncomingHost } from "./_upstash_node_incoming.ts";
import {
  type ResolvedUpstashNodeOptions,
  resolveUpstashNodeOptions,
  type UpstashNodeAdapterOptions,
} from "./_upstash_node_options.ts";
import {
  answersWaiting,
  base64Msgpack,
  BroadcastAcks,
  type Channels,
  channelsOf,
  decodeRequest,
  PING_TYPE,
  rawOptions,
  RequestType,
  socketsWaiting,
  type Waiting,
  WaitingRequests,
} from "./_upstash_node_protocol.ts";
import { Adapter } from "./adapter.ts";
import type { AdapterNamespace, BroadcastOptions, SocketDetails } from "./types.ts";

export type { UpstashNodeAdapterOptions };

/**
 * The `parser` of `@socket.io/redis-adapter` that both sides must use: MessagePack as
 * notepack.io writes it, then base64, so every message is one line of text.
 *
 * @example The same text on both sides
 * ```ts
 * import { base64MsgpackParser } from "@edgeio/edgeio/adapter/upstash-node";
 * import assert from "node:assert/strict";
 *
 * const text = base64MsgpackParser.encode(["uid", { type: 2, data: ["hi", new Uint8Array([1])] }]);
 * assert.equal(text, "kqN1aWSCpHR5cGUCpGRhdGGSomhpxAEB");
 * assert.deepEqual(base64MsgpackParser.decode(text), [
 *   "uid",
 *   { type: 2, data: ["hi", new Uint8Array([1])] },
 * ]);
 * ```
 */
export const base64MsgpackParser: {
  /** Encodes a value as base64 MessagePack. */
  encode(value: unknown): string;
  /** Decodes base64 MessagePack; binary comes back as `Uint8Array`. */
  decode(text: string): unknown;
} = base64Msgpack;

/**
 * The adapter of one namespace, speaking the protocol of `@socket.io/redis-adapter` 8.3 over
 * Upstash; make the class with {@linkcode createUpstashNodeAdapter}. Nothing starts in the
 * constructor: the streams open on first use (or at `init()` with `lazy: false`), and `close()`
 * ends them and every timer.
 *
 * @example The class a Server takes
 * ```ts
 * import {
 *   createUpstashNodeAdapter,
 *   UpstashNodeAdapter,
 * } from "@edgeio/edgeio/adapter/upstash-node";
 * import assert from "node:assert/strict";
 *
 * const NodeCompatible = createUpstashNodeAdapter({ url: "https://x.upstash.io", token: "t" });
 * assert.equal(Object.getPrototypeOf(NodeCompatible), UpstashNodeAdapter);
 * ```
 */
export class UpstashNodeAdapter extends Adapter {
  readonly #o: ResolvedUpstashNodeOptions;
  readonly #channels: Channels;
  readonly #timers = GLOBAL_TIMERS;
  readonly #requests = new WaitingRequests(GLOBAL_TIMERS);
  readonly #acks = new Map<string, BroadcastAcks>();
  #uid: string | undefined;
  #bus: NodeBus | undefined;
  #incoming: IncomingHost | undefined;
  #closed = false;

  /**
   * Makes the adapter; nothing connects until it is used.
   *
   * @param nsp The namespace.
   * @param options Where the database is, and how the adapter behaves.
   * @throws {TypeError} When `url` or `token` is missing, or an option has the wrong type.
   * @throws {RangeError} When a number is out of range.
   */
  constructor(nsp: AdapterNamespace, options: UpstashNodeAdapterOptions) {
    const o = resolveUpstashNodeOptions(options);
    super(
      nsp,
      Date.now,
      options.maxLogSize === undefined ? {} : { maxLogSize: options.maxLogSize },
    );
    this.#o = o;
    this.#channels = channelsOf(o.key, nsp.name);
  }

  /** This server's id on the bus (random, drawn on first use). */
  get uid(): string {
    return this.#uid ??= randomId();
  }

  /** Subscribes now, unless `lazy` (the default) leaves it to the first use. */
  override init(): Promise<void> {
    return this.#o.lazy ? Promise.resolve() : this.#whenReady().catch((error) => this.#fail(error));
  }

  /**
   * Ends every pending request (with an error) and timer, sends what is queued (for at most a
   * second) and closes the streams.
   */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#requests.closeAll();
    for (const ack of [...this.#acks.values()]) ack.end();
    await this.#bus?.close(1000);
    await super.close();
  }

  /** The number of servers subscribed to this namespace's request channel, this one included. */
  override async serverCount(): Promise<number> {
    await this.#whenReady();
    return await this.#bus!.numsub(this.#channels.request);
  }

  /** Adds a socket to rooms; the first socket opens the streams. */
  override addAll(id: string, rooms: Set<string>): void | Promise<void> {
    this.#start();
    return super.addAll(id, rooms);
  }

  /** Delivers here and, unless the `local` flag is set, publishes for every other server. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!this.#isLocal(opts)) {
      const channel = this.#channels.broadcast +
        (opts.rooms.size === 1 ? `${[...opts.rooms][0]}#` : "");
      this.#publish(
        channel,
        base64Msgpack.encode([this.uid, this.#copy(packet), rawOptions(opts, true)]),
      );
    }
    super.broadcast(packet, opts);
  }

  /**
   * Delivers here and on every other server; `clientCountCallback` gets the number of clients
   * reached on all of them once every server counted by `serverCount()` reported (or the
   * `timeout` flag, else `requestsTimeout`, ran out), and `ack` each client's first answer.
   */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    checkFunction("broadcast with ack", "clientCountCallback", clientCountCallback);
    const copy = this.#copy(packet);
    let total = 0;
    super.broadcastWithAck(packet, opts, (local) => total = local, ack);
    if (this.#isLocal(opts)) return clientCountCallback(total);
    const requestId = randomId();
    const text = base64Msgpack.encode({
      uid: this.uid,
      requestId,
      type: RequestType.BROADCAST,
      packet: copy,
      opts: rawOptions(opts, true),
    });
    const ms = opts.flags?.timeout ?? this.#o.requestsTimeout;
    const timer = this.#timers.setTimeout(() => acks.end(), ms);
    const acks = new BroadcastAcks(total, clientCountCallback, ack, () => {
      this.#timers.clearTimeout(timer);
      this.#acks.delete(requestId);
    });
    this.#acks.set(requestId, acks);
    this.#whenReady()
      .then(() => {
        this.#publish(this.#channels.request, text);
        return this.#bus!.numsub(this.#channels.request);
      })
      .then((servers) => acks.expect(servers - 1))
      .catch((error) => {
        acks.end();
        this.#fail(error);
      });
  }

  /**
   * Describes the matching sockets of every server. Resolves once every other server counted by
   * `serverCount()` answered; rejects when the `timeout` flag, else `requestsTimeout`, runs out
   * first, or the adapter closes.
   */
  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found = await super.fetchSockets(opts);
    if (opts.flags?.local || this.#closed) return found;
    const ms = opts.flags?.timeout ?? this.#o.requestsTimeout;
    return new Promise((resolve, reject) => {
      const body = { type: RequestType.REMOTE_FETCH, opts: rawOptions(opts, false) };
      this.#ask(body, ms, (others) => socketsWaiting(found, others, ms, resolve, reject))
        .then((asked) => asked || resolve(found), reject);
    });
  }

  /** Makes the matching sockets join rooms, here and on every other server. */
  override addSockets(opts: BroadcastOptions, rooms: string[]): void {
    super.addSockets(opts, rooms);
    this.#tell(opts, { type: RequestType.REMOTE_JOIN, rooms: [...rooms] });
  }

  /** Makes the matching sockets leave rooms, here and on every other server. */
  override delSockets(opts: BroadcastOptions, rooms: string[]): void {
    super.delSockets(opts, rooms);
    this.#tell(opts, { type: RequestType.REMOTE_LEAVE, rooms: [...rooms] });
  }

  /** Disconnects the matching sockets, here and on every other server. */
  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    this.#tell(opts, { type: RequestType.REMOTE_DISCONNECT, close });
  }

  /**
   * Sends an event to the other servers. With an ack callback last, it gets `(null, responses)`
   * once every other server counted by `serverCount()` answered, or an error carrying
   * `responses` when `requestsTimeout` ran out first (or the adapter closed).
   */
  override serverSideEmit(args: unknown[]): void {
    checkArray("emit to other servers", "args", args);
    const last: unknown = args[args.length - 1];
    const type = RequestType.SERVER_SIDE_EMIT;
    if (typeof last !== "function") {
      return this.#send(this.#channels.request, { uid: this.uid, type, data: args });
    }
    const ack = last as (error: Error | null, responses: unknown[]) => void;
    if (this.#closed) return ack(null, []);
    const ms = this.#o.requestsTimeout;
    this.#ask({ type, data: args.slice(0, -1) }, ms, (others) => answersWaiting(others, ms, ack))
      .then(
        (asked) => asked || ack(null, []),
        (error: Error) => ack(Object.assign(error, { responses: [] }), []),
      );
  }

  // Once subscribed, asks every other server (as many as PUBSUB NUMSUB counts besides this one)
  // and waits for their answers; resolves with `false` when there is none to ask.
  async #ask(
    body: Record<string, unknown>,
    ms: number,
    waiting: (others: number) => Waiting,
  ): Promise<boolean> {
    await this.#whenReady();
    const others = (await this.#bus!.numsub(this.#channels.request)) - 1;
    if (others <= 0 || this.#closed) return false;
    const requestId = randomId();
    this.#requests.open(requestId, ms, waiting(others));
    this.#send(this.#channels.request, { uid: this.uid, requestId, ...body });
    return true;
  }

  // Tells the other servers to act on their matching sockets; no answer comes.
  #tell(opts: BroadcastOptions, body: Record<string, unknown>): void {
    if (this.#isLocal(opts)) return;
    this.#send(this.#channels.request, { uid: this.uid, opts: rawOptions(opts, false), ...body });
  }

  // An emit to one socket of this server (socket.emit with recovery on) concerns no other.
  #isLocal(opts: BroadcastOptions): boolean {
    if (opts.flags?.local || this.#closed) return true;
    const [only] = opts.rooms;
    return opts.rooms.size === 1 && only !== undefined && this.nsp.sockets.has(only);
  }

  // The packet as it is before local delivery sets its ack id or appends an offset.
  #copy(packet: Packet): Packet {
    const data = Array.isArray(packet.data) ? [...packet.data] : packet.data;
    return { type: packet.type, nsp: this.nsp.name, data };
  }

  #start(): NodeBus | undefined {
    if (this.#closed) return undefined;
    if (!this.#bus) {
      const c = this.#channels;
      this.#bus = new NodeBus({
        url: this.#o.url,
        token: this.#o.token,
        fetch: this.#o.fetch,
        timers: this.#timers,
        pattern: c.pattern,
        presence: c.request,
        ping: JSON.stringify({ uid: this.uid, type: PING_TYPE }),
        heartbeatInterval: this.#o.heartbeatInterval,
        retry: this.#o.retry,
        onMessage: (message) => this.#onMessage(message),
        onError: (error) => this.#fail(error),
      });
    }
    this.#bus.start();
    return this.#bus;
  }

  // Resolves once both streams are up; rejects after `requestsTimeout` or when closed.
  #whenReady(): Promise<void> {
    const bus = this.#start();
    if (!bus) {
      return Promise.reject(new Error("Cannot reach the other servers: the adapter closed"));
    }
    const ms = this.#o.requestsTimeout;
    let timer: unknown;
    const late = new Promise<never>((_, reject) => {
      timer = this.#timers.setTimeout(
        () => reject(new Error(`Cannot reach the other servers: no subscription within ${ms} ms`)),
        ms,
      );
    });
    return Promise.race([bus.ready, late]).finally(() => this.#timers.clearTimeout(timer));
  }

  #send(channel: string, message: Record<string, unknown>): void {
    this.#publish(channel, base64Msgpack.encode(message));
  }

  #publish(channel: string, text: string): void {
    const bus = this.#start();
    bus?.publish(channel, text).catch((error) => this.#fail(error));
  }

  // Answers go where the Node option says: the shared response channel, or the asker's own.
  #respond(request: Record<string, unknown>, body: Record<string, unknown>): void {
    const c = this.#channels;
    const channel = this.#o.publishOnSpecificResponseChannel
      ? `${c.response}${String(request.uid)}#`
      : c.response;
    this.#send(channel, body);
  }

  #onMessage(message: string): void {
    if (this.#closed) return;
    const c = this.#channels;
    const after = (channel: string) =>
      message.startsWith(channel + ",") ? message.slice(channel.length + 1) : undefined;
    try {
      const request = after(c.request);
      if (request !== undefined) {
        return void handleRequest(request, this.#host).catch((error) => this.#fail(error));
      }
      const response = after(c.response) ?? after(`${c.response}${this.uid}#`);
      if (response !== undefined) return this.#onResponse(response);
      if (message.startsWith(c.broadcast)) {
        // A room name may hold commas; base64 never does.
        const comma = message.lastIndexOf(",");
        handleBroadcast(message.slice(0, comma), message.slice(comma + 1), this.#host);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  // What a message from another server may do here: the in-memory adapter's own operations.
  // Made on first use, since it holds the uid, drawn only then.
  get #host(): IncomingHost {
    return this.#incoming ??= {
      uid: this.uid,
      nsp: this.nsp,
      rooms: this.rooms,
      broadcastChannel: this.#channels.broadcast,
      isOwnRequest: (id) => this.#requests.has(id),
      broadcast: (packet, opts) => super.broadcast(packet, opts),
      broadcastWithAck: (packet, opts, count, ack) =>
        super.broadcastWithAck(packet, opts, count, ack),
      sockets: (rooms) => super.sockets(rooms),
      fetchSockets: (opts) => super.fetchSockets(opts),
      addSockets: (opts, rooms) => super.addSockets(opts, rooms),
      delSockets: (opts, rooms) => super.delSockets(opts, rooms),
      disconnectSockets: (opts, close) => super.disconnectSockets(opts, close),
      respond: (request, body) => this.#respond(request, body),
      respondShared: (body) => this.#send(this.#channels.response, body),
    };
  }

  #onResponse(text: string): void {
    const response = decodeRequest(text);
    const ack = this.#acks.get(String(response.requestId));
    if (!ack) return this.#requests.respond(response.requestId, response);
    if (response.type === RequestType.BROADCAST_CLIENT_COUNT) {
      ack.count(Number(response.clientCount) || 0);
    } else if (response.type === RequestType.BROADCAST_ACK) ack.ack(response.packet);
  }

  #fail(error: unknown): void {
    if (this.listenerCount("error") === 0) return;
    this.emit("error", error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Makes the adapter class a `Server` takes, bound to one Upstash database shared with Node
 * servers that use `@socket.io/redis-adapter` with {@linkcode base64MsgpackParser}'s logic.
 *
 * @example
 * ```ts
 * import { Server } from "@edgeio/edgeio";
 * import {
 *   createUpstashNodeAdapter,
 *   UpstashNodeAdapter,
 * } from "@edgeio/edgeio/adapter/upstash-node";
 * import assert from "node:assert/strict";
 *
 * const io = new Server({
 *   adapter: createUpstashNodeAdapter({ url: "https://x.upstash.io", token: "t", key: "app" }),
 * });
 * assert.ok(io.of("/").adapter instanceof UpstashNodeAdapter);
 * await io.close();
 * ```
 *
 * @param options Where the database is, and how the adapter behaves.
 * @returns A class taking the namespace, as `new Server({ adapter })` expects.
 * @throws {TypeError} When `url` or `token` is missing, or an option has the wrong type.
 * @throws {RangeError} When a number is out of range.
 */
export function createUpstashNodeAdapter(
  options: UpstashNodeAdapterOptions,
): new (nsp: AdapterNamespace) => UpstashNodeAdapter {
  resolveUpstashNodeOptions(options);
  return class extends UpstashNodeAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, options);
    }
  };
}
