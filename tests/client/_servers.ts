// The servers our client is tested against: the official socket.io 4.8.4 server in a Node process
// (_official_server.mjs) and our Server on Deno.serve in the test process, both on 127.0.0.1 and
// a free port, with the same handlers (the list is in _official_server.mjs; `install` below is
// the same in our API). Also the bounded `once` and a tracker that disconnects every client.
import msgpackParser from "socket.io-msgpack-parser";
import { io, type LookupOptions, type Socket as ClientSocket } from "../../client/mod.ts";
import { Server, type Socket, type Timers } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";
import { startServer } from "../_process.ts";
import { once, times as collect } from "../_wait.ts";
export { collect, once };

export interface StartOptions {
  /** A fixed port, to start a server again where a stopped one listened. */
  port?: number;
  /** The Socket.IO path. */
  path?: string;
  pingInterval?: number;
  pingTimeout?: number;
  parser?: "msgpack";
}

export interface TestServer {
  url: string;
  port: number;
  /** Stops the server (once; later calls wait for the first); clients see their transport close. */
  stop(): Promise<void>;
  /** Makes the server stop sending pings (SIGSTOP for Node, frozen timers for ours). */
  stopPings(): void;
}

export interface ServerKind {
  name: "official" | "ours";
  start(options?: StartOptions): Promise<TestServer>;
}

const OFFICIAL_SERVER = new URL("./_official_server.mjs", import.meta.url).pathname;

export const OFFICIAL: ServerKind = {
  name: "official",
  async start(options = {}) {
    const env: Record<string, string> = {};
    if (options.port) env.PORT = String(options.port);
    if (options.path) env.IO_PATH = options.path;
    if (options.pingInterval) env.PING_INTERVAL = String(options.pingInterval);
    if (options.pingTimeout) env.PING_TIMEOUT = String(options.pingTimeout);
    if (options.parser) env.PARSER = options.parser;
    const started = await startServer("node", [OFFICIAL_SERVER], env);
    let paused = false;
    let stopped: Promise<void> | undefined;
    return {
      url: started.url,
      port: Number(new URL(started.url).port),
      stop() {
        // A stopped process keeps SIGTERM pending until it runs again.
        if (paused && !stopped) started.signal!("SIGCONT");
        return stopped ??= started.stop();
      },
      stopPings() {
        paused = true;
        started.signal!("SIGSTOP");
      },
    };
  },
};

export const OURS: ServerKind = {
  name: "ours",
  start(options = {}) {
    // Every engine timer (pings included) goes through these; once frozen, no new timer runs.
    let frozen = false;
    const timers: Timers = {
      setTimeout: (fn, ms) => frozen ? undefined : setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as number | undefined),
    };
    const io = new Server({
      upgradeWebSocket,
      timers,
      connectionStateRecovery: { maxDisconnectionDuration: 30000 },
      ...(options.path ? { path: options.path } : {}),
      ...(options.pingInterval ? { pingInterval: options.pingInterval } : {}),
      ...(options.pingTimeout ? { pingTimeout: options.pingTimeout } : {}),
      ...(options.parser === "msgpack" ? { parser: msgpackParser } : {}),
    });
    install(io);
    const http = Deno.serve(
      { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {} },
      io.fetch,
    );
    let stopped: Promise<void> | undefined;
    return Promise.resolve({
      url: `http://127.0.0.1:${http.addr.port}`,
      port: http.addr.port,
      stop() {
        return stopped ??= io.close().then(() => http.shutdown());
      },
      stopPings() {
        frozen = true;
      },
    });
  },
};

export const KINDS: ServerKind[] = [OFFICIAL, OURS];

/** What a case of the shared suite gets. */
export interface Context {
  kind: ServerKind;
  server: TestServer;
  url: string;
  transports: Array<"polling" | "websocket">;
  clients: Clients;
}

/** A case of the shared suite. */
export type Case = [name: string, run: (ctx: Context) => Promise<void>];

// deno-lint-ignore no-explicit-any -- handlers take whatever the client sends
type Fn = (...args: any[]) => void;

/** The handlers of _official_server.mjs, in our server's API. */
function install(io: Server): void {
  io.use((socket, next) => {
    if (socket.handshake.auth.token !== "bad") return next();
    const error = new Error("not authorized") as Error & { data?: unknown };
    error.data = { code: 4001, hint: "use another token" };
    next(error);
  });
  for (const name of ["/", "/admin"]) {
    const nsp = io.of(name);
    nsp.on("connection", (socket: Socket) => {
      const records: unknown[][] = [];
      const tries = new Map<string, number>();
      socket.on("whoami", (ack: Fn) =>
        ack({
          id: socket.id,
          nsp: socket.nsp.name,
          engineId: socket.conn.id,
          transport: socket.conn.transportName,
          auth: socket.handshake.auth,
          query: { ...socket.handshake.query },
          header: socket.handshake.headers["x-edgeio-test"] ?? null,
          recovered: socket.recovered,
        }));
      socket.on("echo", (...args: unknown[]) => (args.pop() as Fn)(...args));
      socket.on("emit-back", (event: string, ...args: unknown[]) => socket.emit(event, ...args));
      socket.on("ask", (event: string, args: unknown[], ack: Fn) =>
        socket.timeout(3000).emit(
          event,
          ...args,
          (error: Error | null, ...answer: unknown[]) =>
            ack(error ? { error: error.message } : { answer }),
        ));
      socket.on("no-ack", () => {});
      socket.on("flaky", (key: string, ack: Fn) => {
        const seen = (tries.get(key) ?? 0) + 1;
        tries.set(key, seen);
        if (seen > 1) ack(seen);
      });
      socket.on("record", (...args: unknown[]) => records.push(args));
      socket.on("records", (ack: Fn) => ack(records));
      socket.on("join", async (room: string, ack: Fn) => {
        await socket.join(room);
        ack([...socket.rooms]);
      });
      socket.on("to-room", (room: string, event: string, ...args: unknown[]) => {
        nsp.to(room).emit(event, ...args);
        nsp.emit("after-room", room);
      });
      socket.on("disconnect-me", () => socket.disconnect());
      socket.on("miss-on-drop", (ack: Fn) => {
        socket.data.missOnDrop = true;
        ack();
      });
      socket.on("cut", () => socket.conn.close());
      socket.on("disconnect", (reason: string) => {
        nsp.to("watchers").emit("gone", socket.id, reason);
        if (socket.data.missOnDrop && reason !== "client namespace disconnect") {
          for (const n of [1, 2, 3]) nsp.to(socket.id).emit("missed", n);
        }
      });
    });
  }
}

/**
 * Both servers run with connectionStateRecovery, so every event without an ack ends with its
 * offset, which listeners see as a last string argument (socket.io-client does the same). Checks
 * it is there and returns the other arguments.
 */
export function strip(args: unknown[]): unknown[] {
  const offset = args[args.length - 1];
  if (typeof offset !== "string" || offset === "") {
    throw new Error(`expected an offset last in ${JSON.stringify(args)}`);
  }
  return args.slice(0, -1);
}

/** Makes clients (a new connection each unless `forceNew: false`) and disconnects them all. */
export class Clients {
  readonly #sockets: ClientSocket[] = [];

  constructor(readonly defaults: LookupOptions = {}) {}

  /** A client socket; no reconnection unless asked. */
  io(url: string, options: LookupOptions = {}): ClientSocket {
    const socket = io(url, { forceNew: true, reconnection: false, ...this.defaults, ...options });
    this.#sockets.push(socket);
    return socket;
  }

  /** Tracks a socket made otherwise (e.g. `manager.socket()`). */
  track(socket: ClientSocket): ClientSocket {
    this.#sockets.push(socket);
    return socket;
  }

  /** A connected client socket, upgraded to websocket when it may upgrade. */
  async connect(url: string, options: LookupOptions = {}): Promise<ClientSocket> {
    const socket = this.io(url, options);
    await ready(socket);
    return socket;
  }

  disconnectAll(): void {
    for (const socket of this.#sockets) socket.disconnect();
  }
}

/**
 * Waits for the socket to connect and, when it may upgrade, for the websocket upgrade; then for
 * its writes in flight, so a volatile emit is not dropped for a busy transport.
 */
export async function ready(socket: ClientSocket): Promise<void> {
  if (!socket.connected) await once(socket, "connect");
  const engine = socket.io.engine!;
  const transports = socket.io.opts.transports ?? ["polling", "websocket"];
  if (transports.includes("websocket") && engine.transport.name !== "websocket") {
    await once(engine, "upgrade");
  }
  if (!engine.transport.writable) await once(engine, "drain");
}

/** What the `whoami` handler answers. */
export interface WhoAmI {
  id: string;
  nsp: string;
  engineId: string;
  transport: "polling" | "websocket";
  auth: Record<string, unknown>;
  query: Record<string, string>;
  header: string | null;
  recovered: boolean;
}

export function whoami(socket: ClientSocket): Promise<WhoAmI> {
  return socket.timeout(3000).emitWithAck("whoami") as Promise<WhoAmI>;
}

export const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** The bytes of what our client received as binary, which must be an ArrayBuffer. */
export function view(value: unknown): number[] {
  if (!(value instanceof ArrayBuffer)) throw new Error(`expected an ArrayBuffer, got ${value}`);
  return [...new Uint8Array(value)];
}

export const TRANSPORTS: Array<Array<"polling" | "websocket">> = [
  ["polling"],
  ["websocket"],
  ["polling", "websocket"],
];

/** The transport a session ends up on with these transports. */
export const finalTransport = (transports: string[]): string => transports[transports.length - 1]!;
