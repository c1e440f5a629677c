// Servers with the Upstash adapter against a real redis-server behind the Upstash-REST fixture,
// each on Deno.serve (127.0.0.1, a free port), with official socket.io-client 4.8.4 clients; a
// switchable forwarder so one client URL can reach another server; bounded waits throughout.
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { createUpstashAdapter, type UpstashAdapter } from "../../adapter/upstash.ts";
import type { UpstashAdapterOptions } from "../../adapter/upstash_options.ts";
import { type IoServerOptions, Server } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { startUpstashStore, type UpstashStore } from "../fixtures/mod.ts";
import { once, times, within } from "../_wait.ts";
export { once, times, within };

export type { ClientSocket };

/** Fast cluster timing, so a test sees heartbeats, dead nodes and retries within seconds. */
export const FAST: Partial<UpstashAdapterOptions> = {
  heartbeatInterval: 200,
  heartbeatTimeout: 700,
  requestsTimeout: 2000,
  retryDelay: 20,
  retryDelayMax: 200,
  lazy: false,
};

/** One server of the cluster. */
export interface Node {
  io: Server;
  url: string;
  /** The adapter of namespace `nsp`. */
  adapter(nsp?: string): UpstashAdapter;
  /** Every `error` the adapter of "/" emitted. */
  errors: Error[];
  /** Closes the server (once): its adapters say goodbye, its clients lose their transport. */
  close(): Promise<void>;
}

export interface Cluster {
  store: UpstashStore;
  nodes: Node[];
  /** Connects an official client to node `node` (or a URL) and waits until it is connected. */
  client(node: number | string, options?: Record<string, unknown>): Promise<ClientSocket>;
  /** Starts another server on the same store. */
  addNode(): Node;
}

export interface ClusterOptions {
  nodes?: number;
  /** Adapter options for every server, or for server `index`. */
  adapter?: Partial<UpstashAdapterOptions> | ((index: number) => Partial<UpstashAdapterOptions>);
  server?: IoServerOptions;
  /** Called on each server before it listens. */
  setup?(io: Server, index: number): void;
}

/** Runs `fn` with `nodes` servers on one fresh store; stops everything after, whatever happens. */
export async function withUpstashCluster(
  options: ClusterOptions,
  fn: (cluster: Cluster) => Promise<void>,
): Promise<void> {
  const store = await startUpstashStore();
  const nodes: Node[] = [];
  const clients: ClientSocket[] = [];
  const addNode = (): Node => {
    const index = nodes.length;
    const own = typeof options.adapter === "function" ? options.adapter(index) : options.adapter;
    const adapter = createUpstashAdapter({ ...store.credentials, ...FAST, ...own });
    const io = new Server({ upgradeWebSocket, ...options.server, adapter });
    const errors: Error[] = [];
    io.of("/").adapter.on("error", (error) => errors.push(error));
    options.setup?.(io, index);
    const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, io.fetch);
    let closed: Promise<void> | undefined;
    const node: Node = {
      io,
      url: `http://127.0.0.1:${http.addr.port}`,
      adapter: (nsp = "/") => io.of(nsp).adapter as UpstashAdapter,
      errors,
      close: () => closed ??= io.close().then(() => http.shutdown()),
    };
    nodes.push(node);
    return node;
  };
  try {
    for (let i = 0; i < (options.nodes ?? 3); i++) addNode();
    await fn({
      store,
      nodes,
      addNode,
      async client(node, clientOptions = {}) {
        const url = typeof node === "number" ? nodes[node]!.url : node;
        const socket = connectClient(url, {
          forceNew: true,
          reconnection: false,
          transports: ["websocket"],
          ...clientOptions,
        });
        clients.push(socket);
        await once(socket, "connect");
        return socket;
      },
    });
  } finally {
    for (const socket of clients) socket.disconnect();
    await Promise.all(nodes.map((node) => node.close()));
    await store.stop();
  }
}

/** Polls `check` until it returns true; rejects after `ms` with `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${ms} ms`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A forwarder in front of one server at a time: the same client URL reaches another server. */
export interface Forwarder {
  url: string;
  /** Where requests go; `undefined` answers 503, as a load balancer with no healthy target. */
  target: string | undefined;
  /** Closes the forwarder and every connection it carries. */
  close(): Promise<void>;
}

/** Starts a forwarder on a free port of 127.0.0.1: HTTP requests and WebSockets are passed on. */
export function startForwarder(target: string | undefined): Forwarder {
  const pipes = new Set<() => void>();
  const forward = (request: Request): Response | Promise<Response> => {
    const base = forwarder.target;
    if (base === undefined) return new Response("no target", { status: 503 });
    const url = new URL(request.url);
    const to = `${base}${url.pathname}${url.search}`;
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return fetch(to, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      }).catch(() => new Response("target unreachable", { status: 502 }));
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    const upstream = new WebSocket(to.replace(/^http/, "ws"));
    upstream.binaryType = socket.binaryType = "arraybuffer";
    const early: (string | ArrayBuffer)[] = [];
    const end = () => {
      pipes.delete(end);
      for (const ws of [socket, upstream]) {
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
          try {
            ws.close();
          } catch { /* closing already */ }
        }
      }
    };
    pipes.add(end);
    socket.onmessage = (event) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(event.data);
      else early.push(event.data);
    };
    upstream.onopen = () => {
      for (const data of early.splice(0)) upstream.send(data);
    };
    upstream.onmessage = (event) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(event.data);
    };
    for (const ws of [socket, upstream]) {
      ws.onclose = end;
      ws.onerror = end;
    }
    return response;
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, forward);
  const forwarder: Forwarder = {
    url: `http://127.0.0.1:${server.addr.port}`,
    target,
    async close() {
      for (const end of [...pipes]) end();
      await server.shutdown();
    },
  };
  return forwarder;
}
