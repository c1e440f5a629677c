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
 * cannot be delivered is reported on the adapter's `error` event — never dropped silently.
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
import { Adapter } from "./adapter.ts";
import { encodeOptions } from "./_cluster_remote.ts";
import { UpstashBus } from "./_upstash_bus.ts";
import { isRecoverable, recoverableBroadcast, RedisRecovery } from "./_upstash_recovery.ts";
import { ClusterAdapter } from "./cluster.ts";
import { decodeMessage, encodeMessage } from "./cluster_codec.ts";
import { type ClusterMessage, MessageType } from "./cluster_message.ts";
import {
  type ResolvedUpstashOptions,
  resolveUpstashOptions,
  type UpstashAdapterOptions,
  type UpstashCommands,
} from "./upstash_options.ts";
import type {
  AdapterNamespace,
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
  #started: Promise<void> | undefined;
  #up: (() => void) | undefined;
  #lastId: string | undefined;

  /**
   * Makes the adapter; nothing connects until it is used.
   *
   * @param nsp The namespace.
   * @param options The options.
   */
  constructor(nsp: AdapterNamespace, options: UpstashAdapterOptions) {
    const o = resolveUpstashOptions(options);
    super(nsp, { ...options, recoveryLog: "external" });
    this.#o = o;
    const redis: UpstashCommands = options.redis ??
      new Redis({
        url: o.url,
        token: o.token,
        automaticDeserialization: false,
        enableTelemetry: false,
      }) as unknown as UpstashCommands;
    const base = `${o.key}#${nsp.name}#`;
    const timers = options.timers ?? {
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (id: unknown) => clearTimeout(id as number),
    };
    this.#bus = new UpstashBus({
      redis,
      url: o.url,
      token: o.token,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      channel: base,
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
    });
    const recovery = nsp.connectionStateRecovery;
    if (recovery) {
      this.#recovery = new RedisRecovery(
        redis,
        { nsp: nsp.name, prefix: base + "session#", logKey: base + "log" },
        o.logSize,
        recovery.maxDisconnectionDuration,
      );
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

  /** Says goodbye to the cluster, then unsubscribes. */
  override async close(): Promise<void> {
    const started = this.#started;
    const goodbye = super.close();
    if (started) await this.#within(goodbye, 1000).catch(() => {});
    this.#bus.close();
  }

  override serverCount(): Promise<number> {
    return this.#start().then(() => super.serverCount());
  }

  override addAll(id: SocketId, rooms: Set<Room>): void | Promise<void> {
    void this.#start();
    return super.addAll(id, rooms);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!this.#recovery || !isRecoverable(packet, opts.flags)) return super.broadcast(packet, opts);
    // The log id is the offset every node appends, so the local copy waits for it (briefly:
    // local clients are not kept waiting on an unreachable store).
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
    const deliver = (id: string | undefined) => {
      if (id !== undefined) (packet.data as unknown[]).push(id);
      Adapter.prototype.broadcast.call(this, packet, opts);
    };
    const published = this.#bus.publish(message);
    if (this.#bus.pending > 1) return deliver(undefined);
    this.#within(published, this.#o.localDeliveryTimeout).then(deliver, () => deliver(undefined));
  }

  override fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    return this.#start().then(() => super.fetchSockets(opts));
  }

  override currentOffset(): string | undefined {
    return this.#recovery ? this.#lastId : undefined;
  }

  override async persistSession(session: PersistedSession): Promise<void> {
    try {
      await this.#recovery?.persist(session);
    } catch (error) {
      this.#report(error, 0);
    }
  }

  override async restoreSession(pid: string, offset?: string): Promise<RestoredSession | null> {
    if (!this.#recovery) return null;
    try {
      return await this.#recovery.restore(pid, offset);
    } catch (error) {
      this.#report(error, 0);
      return null;
    }
  }

  protected override doPublish(message: ClusterMessage): Promise<void> {
    void this.#start();
    return this.#bus.publish(encodeMessage(message)).then(() => {});
  }

  #start(): Promise<void> {
    return this.#started ??= new Promise<void>((resolve) => {
      this.#up = () => {
        this.#up = undefined;
        resolve(super.init());
      };
      this.#bus.start();
    });
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
