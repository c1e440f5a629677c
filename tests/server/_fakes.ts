// Test doubles for the engine: timers driven by hand, and WebSockets that live in memory.
import type {
  Timers,
  WebSocketHandler,
  WebSocketLike,
  WebSocketUpgrader,
} from "../../server/mod.ts";

/** Timers that fire only when the test advances time. */
export class FakeTimers implements Timers {
  now = 0;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout = (fn: () => void, ms: number): number => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.now + ms, fn });
    return id;
  };

  clearTimeout = (id: unknown): void => {
    this.#timers.delete(id as number);
  };

  /** Advances time, firing what falls due in order. */
  tick(ms: number): void {
    const target = this.now + ms;
    while (true) {
      let dueId: number | undefined;
      let dueAt = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= target && timer.at < dueAt) {
          dueId = id;
          dueAt = timer.at;
        }
      }
      if (dueId === undefined) break;
      const timer = this.#timers.get(dueId)!;
      this.#timers.delete(dueId);
      this.now = dueAt;
      timer.fn();
    }
    this.now = target;
  }

  /** How many timers are scheduled. */
  get pending(): number {
    return this.#timers.size;
  }
}

/** One in-memory WebSocket: the test plays the client. */
export class FakeSocket implements WebSocketLike {
  readyState = 1;
  sent: Array<string | Uint8Array> = [];
  closed: { code: number | undefined; reason: string | undefined } | undefined;
  constructor(readonly handler: WebSocketHandler, readonly request: Request) {}

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 1) throw new Error("Cannot send on a closed socket");
    this.sent.push(
      typeof data === "string" ? data : new Uint8Array(
        data instanceof ArrayBuffer
          ? data
          : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      ),
    );
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closed = { code, reason };
    this.handler.onClose(code ?? 1005, reason ?? "");
  }

  /** The client sends a frame. */
  receive(data: string | Uint8Array): void {
    this.handler.onMessage(data);
  }

  /** The client goes away without a closing handshake. */
  drop(): void {
    this.readyState = 3;
    this.handler.onClose(1006, "");
  }

  /** Takes what the server sent so far. */
  take(): Array<string | Uint8Array> {
    const sent = this.sent;
    this.sent = [];
    return sent;
  }
}

/** An upgrader that opens FakeSockets at once (as Workers' `accept()` does). */
export function fakeUpgrader(): { upgradeWebSocket: WebSocketUpgrader; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const upgradeWebSocket: WebSocketUpgrader = (request, handler, headers) => {
    const socket = new FakeSocket(handler, request);
    sockets.push(socket);
    handler.onOpen(socket);
    headers.set("x-fake-upgrade", "1");
    return new Response(null, { status: 200, headers });
  };
  return { upgradeWebSocket, sockets };
}
