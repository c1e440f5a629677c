// A raw Engine.IO v4 client for Socket.IO tests: it speaks long-polling through any fetch
// function (a real server's, or `io.fetch` in process) and WebSocket through a real `WebSocket`
// or an in-memory one (`memoryUpgrader`). Incoming packets are queued as the wire carries them
// (`42["a"]`, `3`, or an ArrayBuffer for a binary attachment), pings can be answered and skipped
// automatically, and every wait is bounded.
import type { WebSocketHandler, WebSocketLike, WebSocketUpgrader } from "../server/mod.ts";

export type Transport = "polling" | "websocket";
export type Frame = string | Uint8Array;
/** A packet as received: text, or the bytes of a binary one. */
export type Received = string | ArrayBuffer;

export interface RawOptions {
  /** Where the server answers, e.g. `http://127.0.0.1:3000/socket.io/`. */
  base: string;
  transport: Transport;
  /** The fetch function for polling (the global one by default). */
  fetch?: (request: Request) => Promise<Response>;
  /** Opens a WebSocket in memory (in-process tests); a real `WebSocket` by default. */
  memory?: MemoryUpgrader;
  /** Whether pings are answered and left out of `next()`. */
  autoPong?: boolean;
  /** Extra query parameters of the handshake. */
  query?: Record<string, string>;
}

const WAIT = 5000;

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function base64ToBuffer(text: string): ArrayBuffer {
  return toArrayBuffer(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
}

function bufferToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** Copies binary data into a fresh ArrayBuffer, so tests compare bytes only. */
export function bytesOf(data: unknown): number[] {
  if (data instanceof ArrayBuffer) return [...new Uint8Array(data)];
  if (ArrayBuffer.isView(data)) {
    return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
  }
  throw new TypeError(`Cannot read bytes: got ${typeof data} ${String(data)}`);
}

/** Rejects after `ms` unless `promise` settles first; the timer never outlives the race. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A raw client; see the file comment. */
export class RawClient {
  readonly transport: Transport;
  sid = "";
  /** The open packet's content. */
  open: Record<string, unknown> = {};
  readonly #options: RawOptions;
  readonly #fetch: (request: Request) => Promise<Response>;
  #queue: Received[] = [];
  #waiters: Array<(packet: Received | undefined) => void> = [];
  #closed = false;
  #closedWaiters: Array<() => void> = [];
  #loop: Promise<void> = Promise.resolve();
  #ws: { send(data: Frame): void; close(): void } | undefined;

  private constructor(options: RawOptions) {
    this.#options = options;
    this.transport = options.transport;
    this.#fetch = options.fetch ?? ((request) => fetch(request));
  }

  /** Opens an Engine.IO session (the open packet is consumed, not queued). */
  static async connect(options: RawOptions): Promise<RawClient> {
    const client = new RawClient(options);
    if (options.transport === "polling") await client.#openPolling();
    else await client.#openWebSocket();
    return client;
  }

  /** Whether the session is closed, as far as this client saw. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Sends Socket.IO frames: text as Engine.IO message packets (`4…`), binary as it is. */
  send(...frames: Frame[]): Promise<void> {
    return this.sendEngine(...frames.map((f) => typeof f === "string" ? `4${f}` : f));
  }

  /** Sends raw Engine.IO packets (binary ones are messages). */
  async sendEngine(...packets: Frame[]): Promise<void> {
    if (this.#ws) {
      for (const packet of packets) this.#ws.send(packet);
      return;
    }
    const body = packets.map((p) => typeof p === "string" ? p : `b${bufferToBase64(p)}`)
      .join("\x1e");
    const response = await this.#fetch(new Request(this.#url(), { method: "POST", body }));
    await response.body?.cancel();
  }

  /** The next packet (pings left out when `autoPong` is on). */
  next(ms = WAIT): Promise<Received> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.reject(new Error("the session is closed"));
    return new Promise((resolve, reject) => {
      const waiter = (packet: Received | undefined) => {
        clearTimeout(timer);
        if (packet === undefined) reject(new Error("the session closed while waiting"));
        else resolve(packet);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no packet within ${ms} ms`));
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  /** The next `count` packets. */
  async take(count: number, ms = WAIT): Promise<Received[]> {
    const packets: Received[] = [];
    for (let i = 0; i < count; i++) packets.push(await this.next(ms));
    return packets;
  }

  /** Packets received and not yet taken. */
  drain(): Received[] {
    const queued = this.#queue;
    this.#queue = [];
    return queued;
  }

  /** Resolves once the session is closed; rejects after `ms`. */
  closed(ms = WAIT): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#closedWaiters.push(resolve);
    return within(promise, ms, "waiting for the session to close");
  }

  /** Joins a namespace and returns the CONNECT answer's packet text. */
  async join(nsp = "/", auth?: unknown): Promise<string> {
    const prefix = nsp === "/" ? "" : `${nsp},`;
    await this.send(`0${prefix}${auth === undefined ? "" : JSON.stringify(auth)}`);
    const answer = await this.next();
    if (typeof answer !== "string" || !answer.startsWith(`40${prefix}`)) {
      throw new Error(`expected a CONNECT answer for ${nsp}, got ${String(answer)}`);
    }
    return answer;
  }

  /** Closes the session from the client side and waits until it is gone. */
  async close(): Promise<void> {
    if (!this.#closed) {
      if (this.#ws) this.#ws.close();
      else await this.sendEngine("1").catch(() => {});
    }
    await this.closed().catch(() => {});
    await this.#loop;
  }

  #url(extra: Record<string, string> = {}): string {
    const query = new URLSearchParams({
      EIO: "4",
      transport: this.transport,
      ...this.#options.query,
      ...(this.sid ? { sid: this.sid } : {}),
      ...extra,
    });
    return `${this.#options.base}?${query}`;
  }

  #receive(packet: Received): void {
    if (packet === "2" && this.#options.autoPong !== false) {
      this.sendEngine("3").catch(() => {});
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter(packet);
    else this.#queue.push(packet);
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    for (const resolve of this.#closedWaiters.splice(0)) resolve();
  }

  async #openPolling(): Promise<void> {
    const response = await this.#fetch(new Request(this.#url()));
    const body = await response.text();
    if (response.status !== 200 || !body.startsWith("0")) {
      throw new Error(`handshake failed (${response.status}): ${body}`);
    }
    this.open = JSON.parse(body.slice(1));
    this.sid = this.open.sid as string;
    this.#loop = this.#pollLoop();
  }

  async #pollLoop(): Promise<void> {
    while (!this.#closed) {
      let response: Response;
      try {
        response = await this.#fetch(new Request(this.#url()));
      } catch {
        this.#markClosed();
        return;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        this.#markClosed();
        return;
      }
      const body = await response.text();
      for (const packet of body.split("\x1e")) {
        if (packet === "1") this.#markClosed();
        else if (packet === "6") continue;
        else if (packet.startsWith("b")) this.#receive(base64ToBuffer(packet.slice(1)));
        else this.#receive(packet);
      }
    }
  }

  async #openWebSocket(): Promise<void> {
    const { promise: opened, resolve, reject } = Promise.withResolvers<void>();
    let first = true;
    const onmessage = (data: Received) => {
      if (first) {
        first = false;
        if (typeof data !== "string" || !data.startsWith("0")) {
          reject(new Error(`expected an open packet, got ${String(data)}`));
          return;
        }
        this.open = JSON.parse(data.slice(1));
        this.sid = this.open.sid as string;
        resolve();
        return;
      }
      this.#receive(data);
    };
    const onclose = () => {
      this.#markClosed();
      reject(new Error("the WebSocket closed before the open packet"));
    };
    const memory = this.#options.memory;
    if (memory) {
      this.#ws = await memory.open(this.#url(), { onmessage, onclose });
    } else {
      const socket = new WebSocket(this.#url().replace(/^http/, "ws"));
      socket.binaryType = "arraybuffer";
      socket.addEventListener("message", (event) => onmessage(event.data));
      socket.addEventListener("close", onclose);
      socket.addEventListener("error", () => {});
      this.#ws = {
        send: (data) => socket.send(data),
        close: () => socket.close(),
      };
    }
    await within(opened, WAIT, "waiting for the open packet");
  }
}

interface ClientSide {
  onmessage(data: Received): void;
  onclose(): void;
}

class MemorySocket implements WebSocketLike {
  readyState = 1;
  client: ClientSide | undefined;
  #early: Received[] = [];

  constructor(readonly handler: WebSocketHandler) {}

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 1) throw new Error("Cannot send: the socket is closed");
    const frame = typeof data === "string"
      ? data
      : data instanceof ArrayBuffer
      ? data.slice(0)
      : toArrayBuffer(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (this.client) this.client.onmessage(frame);
    else this.#early.push(frame);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    // As on every runtime, the close event comes after close() returned.
    queueMicrotask(() => {
      this.handler.onClose(code, reason);
      this.client?.onclose();
    });
  }

  attach(client: ClientSide): void {
    this.client = client;
    for (const frame of this.#early.splice(0)) client.onmessage(frame);
    if (this.readyState === 3) client.onclose();
  }
}

/** WebSockets in memory for in-process servers: pass `upgradeWebSocket` to `new Server()`. */
export class MemoryUpgrader {
  readonly #fetch: (request: Request) => Promise<Response>;
  #created: MemorySocket | undefined;

  constructor(fetch: () => (request: Request) => Promise<Response>) {
    this.#fetch = (request) => fetch()(request);
  }

  upgradeWebSocket: WebSocketUpgrader = (_request, handler, headers) => {
    const socket = new MemorySocket(handler);
    this.#created = socket;
    handler.onOpen(socket);
    return new Response(null, { status: 200, headers });
  };

  async open(url: string, client: ClientSide): Promise<{ send(data: Frame): void; close(): void }> {
    this.#created = undefined;
    const response = await this.#fetch(new Request(url, { headers: { upgrade: "websocket" } }));
    await response.body?.cancel();
    const socket = this.#created as MemorySocket | undefined;
    if (!socket) throw new Error(`no WebSocket opened (${response.status})`);
    socket.attach(client);
    return {
      send: (data) => {
        if (socket.readyState !== 1) return;
        socket.handler.onMessage(typeof data === "string" ? data : data.slice());
      },
      close: () => socket.close(),
    };
  }
}
