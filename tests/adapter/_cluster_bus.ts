// Test doubles for the cluster layer: an in-process pub/sub bus that carries encoded messages
// to every subscribed adapter asynchronously (and can cut a node off), and a cluster of real
// Servers over it, with official socket.io-client clients on Deno.serve when asked for.
import assert from "node:assert/strict";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import {
  type AdapterNamespace,
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
} from "../../adapter/mod.ts";
import { type AdapterClass, type IoServerOptions, Server } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { FakeTimers } from "../server/_fakes.ts";
import { once, times, within } from "../_wait.ts";
export { once, times, within };

export type { ClientSocket };

/** One published message, as the bus saw it. */
export interface Published {
  from: string;
  message: ClusterMessage;
}

/**
 * Delivers every published text to every adapter subscribed (the sender's own included, as Redis
 * does), each in its own microtask. A partitioned node neither sends nor receives.
 */
export class InMemoryBus {
  readonly #members = new Map<ClusterAdapter, string>();
  readonly #partitioned = new Set<string>();
  #inFlight = 0;
  /** Everything published, decoded again, in order. */
  readonly published: Published[] = [];

  /** An adapter class for the servers of node `node`. */
  adapterClass(node: string, options: ClusterAdapterOptions = {}): AdapterClass {
    const members = this.#members;
    const publish = (message: ClusterMessage) => this.publish(node, message);
    return class BusAdapter extends ClusterAdapter {
      constructor(nsp: AdapterNamespace) {
        super(nsp, { uid: node, ...options });
      }
      protected override doPublish(message: ClusterMessage): Promise<void> {
        return publish(message);
      }
      override init(): Promise<void> {
        members.set(this, node);
        return super.init();
      }
      override close(): Promise<void> {
        const sent = super.close();
        members.delete(this);
        return sent;
      }
    };
  }

  /** Encodes a message and hands the text to every reachable member. */
  publish(from: string, message: ClusterMessage): Promise<void> {
    const text = encodeMessage(message);
    assert.ok(!/[\r\n\u2028\u2029]/.test(text), `single-line text: ${text}`);
    this.published.push({ from, message: decodeMessage(text) });
    if (this.#partitioned.has(from)) return Promise.resolve();
    for (const [member, node] of this.#members) {
      if (this.#partitioned.has(node)) continue;
      this.#inFlight++;
      queueMicrotask(() => {
        this.#inFlight--;
        member.onMessage(text);
      });
    }
    return Promise.resolve();
  }

  /** Hands raw text to every member of node `node` (for malformed input). */
  inject(node: string, text: string): void {
    for (const [member, name] of this.#members) if (name === node) member.onMessage(text);
  }

  /** Cuts a node off: what it publishes is lost, and it receives nothing. */
  partition(node: string): void {
    this.#partitioned.add(node);
  }

  /** Reconnects a node. */
  heal(node: string): void {
    this.#partitioned.delete(node);
  }

  /** How many adapters are subscribed. */
  get size(): number {
    return this.#members.size;
  }

  /** The types of the messages published so far by `node`, then forgets them all. */
  takeTypes(node?: string): number[] {
    const types = this.published.filter((p) => node === undefined || p.from === node)
      .map((p) => p.message.type);
    this.published.length = 0;
    return types;
  }

  /** Waits until no delivery is pending (deliveries that publish again included). */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      // A macrotask: every microtask queued so far, and those they queue, run before it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.#inFlight === 0) return;
    }
    throw new Error("the bus did not settle");
  }
}

export interface Cluster {
  bus: InMemoryBus;
  timers: FakeTimers;
  servers: Server[];
  /** Connects an official client to server `node` (0-based) and waits until it is connected. */
  client(node: number, options?: Record<string, unknown>): Promise<ClientSocket>;
}

export interface ClusterOptions {
  nodes?: number;
  /** Listen on Deno.serve so that clients can connect. */
  serve?: boolean;
  server?: IoServerOptions;
  adapter?: ClusterAdapterOptions;
}

/**
 * Runs `fn` with `nodes` servers named node0, node1… over one bus, their adapters and engines
 * on one FakeTimers; closes everything after, and checks that no timer is left.
 */
export async function withCluster(
  options: ClusterOptions,
  fn: (cluster: Cluster) => Promise<void>,
): Promise<void> {
  const { nodes = 3, serve = false } = options;
  const bus = new InMemoryBus();
  const timers = new FakeTimers();
  const now = () => timers.now;
  const servers: Server[] = [];
  const listeners: Deno.HttpServer<Deno.NetAddr>[] = [];
  const clients: ClientSocket[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const adapter = bus.adapterClass(`node${i}`, { timers, now, ...options.adapter });
      servers.push(new Server({ upgradeWebSocket, timers, adapter, ...options.server }));
      if (serve) {
        listeners.push(
          Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, servers[i]!.fetch),
        );
      }
      await bus.settle();
    }
    // Time is fake, so a wait that nothing ends would hang: every test is bounded in real time.
    await within(
      fn({
        bus,
        timers,
        servers,
        async client(node, clientOptions = {}) {
          const listener = listeners[node];
          assert.ok(listener, "serve: true to connect clients");
          const socket = connectClient(`http://127.0.0.1:${listener.addr.port}/`, {
            forceNew: true,
            reconnection: false,
            transports: ["websocket"],
            ...clientOptions,
          });
          clients.push(socket);
          await once(socket, "connect");
          return socket;
        },
      }),
      10_000,
    );
  } finally {
    for (const socket of clients) socket.disconnect();
    for (const io of servers) await io.close();
    for (const listener of listeners) await listener.shutdown();
  }
  assert.equal(bus.size, 0, "every adapter left the bus");
  assert.equal(timers.pending, 0, "no timer left behind");
}

/** Resolves with what `n` clients each receive as their next `event`, in client order. */
export function each(clients: ClientSocket[], event: string): Promise<unknown[][]> {
  return all(clients.map((client) => once(client, event)));
}

/** Promise.all, with every rejection handled (the first one still rejects the result). */
export function all<T>(promises: Promise<T>[]): Promise<T[]> {
  for (const promise of promises) promise.catch(() => {});
  return Promise.all(promises);
}
