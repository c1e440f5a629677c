// The requests a cluster adapter waits on: each expects one answer from every server that was
// alive when it was sent, and ends when they all answered (or were found dead), when its time
// runs out, or when the adapter closes. One timer per request, cleared whichever comes first.

import { type ClusterMessage, MessageType } from "./cluster_message.ts";
import type { SocketDetails } from "./types.ts";

/** 64 random bits as hex; drawn when needed, since Workers forbid random values in global scope. */
export function randomId(): string {
  let id = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(8))) {
    id += byte.toString(16).padStart(2, "0");
  }
  return id;
}

/** Timers as the engine takes them, so the same fake drives both in tests. */
export interface ClusterTimers {
  /** Schedules `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels what `setTimeout` scheduled. */
  clearTimeout(id: unknown): void;
}

/** What a request does with answers, and as it ends. */
export interface RequestHandlers {
  /** The first answer of server `uid`. */
  answer(uid: string, message: ClusterMessage): void;
  /** A further message about the request that is no server's answer (a client's ack). */
  notice?(uid: string, message: ClusterMessage): void;
  /**
   * Every expected server answered or was dropped. Returns `true` to stay open (a broadcast
   * with acks still expects acks) until `Requests.finish()`, the timer or the close.
   */
  answered(): boolean | void;
  /** The time ran out; `missing` are the servers that never answered. */
  timedOut(missing: string[]): void;
  /** The adapter closed first. */
  closed(): void;
}

interface Request {
  readonly missing: Set<string>;
  readonly handlers: RequestHandlers;
  timer: unknown;
  answered: boolean;
}

/** The open requests of one adapter, by request id. */
export class Requests {
  readonly #timers: ClusterTimers;
  readonly #open = new Map<string, Request>();

  constructor(timers: ClusterTimers) {
    this.#timers = timers;
  }

  /** How many requests are open. */
  get size(): number {
    return this.#open.size;
  }

  /** Opens a request expecting an answer from each of `from`, for at most `ms`. */
  open(id: string, from: Iterable<string>, ms: number, handlers: RequestHandlers): void {
    const request: Request = {
      missing: new Set(from),
      handlers,
      timer: undefined,
      answered: false,
    };
    this.#open.set(id, request);
    request.timer = this.#timers.setTimeout(() => {
      if (this.#open.get(id) !== request) return;
      this.#open.delete(id);
      request.handlers.timedOut([...request.missing]);
    }, ms);
    this.#check(id, request);
  }

  /**
   * Takes a response to request `id` from server `uid`: its answer when that server was asked and
   * has not answered yet, else a notice (dropped by requests that take none).
   */
  respond(id: string, uid: string, message: ClusterMessage, isAnswer: boolean): void {
    const request = this.#open.get(id);
    if (!request) return;
    if (!isAnswer) return request.handlers.notice?.(uid, message);
    if (!request.missing.delete(uid)) return;
    request.handlers.answer(uid, message);
    this.#check(id, request);
  }

  /** A server is gone: no request waits for it any longer. */
  drop(uid: string): void {
    for (const [id, request] of [...this.#open]) {
      if (request.missing.delete(uid)) this.#check(id, request);
    }
  }

  /** Ends request `id` now, without calling its handlers. */
  finish(id: string): void {
    const request = this.#open.get(id);
    if (!request) return;
    this.#open.delete(id);
    this.#timers.clearTimeout(request.timer);
  }

  /** Ends every request, telling each that the adapter closed. */
  closeAll(): void {
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const request of open) {
      this.#timers.clearTimeout(request.timer);
      request.handlers.closed();
    }
  }

  #check(id: string, request: Request): void {
    if (request.missing.size > 0 || request.answered) return;
    request.answered = true;
    let keep = false;
    try {
      keep = request.handlers.answered() === true;
    } finally {
      if (!keep) this.finish(id);
    }
  }
}

function timeoutError(action: string, ms: number, missing: string[], asked: number): Error {
  return new Error(
    `Cannot ${action}: timeout reached after ${ms} ms, missing responses from ` +
      `${missing.length} of ${asked} servers (${missing.join(", ")})`,
  );
}

/**
 * A FETCH_SOCKETS request: `found` (this server's sockets) grows with every answer; resolves
 * with it once all answered, rejects on timeout or close.
 */
export function fetchHandlers(
  found: SocketDetails[],
  asked: number,
  ms: number,
  resolve: (sockets: SocketDetails[]) => void,
  reject: (error: Error) => void,
): RequestHandlers {
  return {
    answer(_uid, message) {
      if (message.type === MessageType.FETCH_SOCKETS_RESPONSE) found.push(...message.data.sockets);
    },
    answered: () => resolve(found),
    timedOut: (missing) => reject(timeoutError("fetch sockets", ms, missing, asked)),
    closed: () => reject(new Error("Cannot fetch sockets: the adapter closed")),
  };
}

/**
 * A SERVER_SIDE_EMIT request with an ack: `(null, responses)` once all answered; on timeout or
 * close, an error carrying `responses`, and the responses gathered so far.
 */
export function serverSideEmitHandlers(
  asked: number,
  ms: number,
  ack: (error: Error | null, responses: unknown[]) => void,
): RequestHandlers {
  const responses: unknown[] = [];
  const fail = (error: Error) => ack(Object.assign(error, { responses }), responses);
  return {
    answer(_uid, message) {
      if (message.type === MessageType.SERVER_SIDE_EMIT_RESPONSE) {
        responses.push(message.data.packet);
      }
    },
    answered: () => ack(null, responses),
    timedOut: (missing) => fail(timeoutError("emit to other servers", ms, missing, asked)),
    closed: () => fail(new Error("Cannot emit to other servers: the adapter closed")),
  };
}

/**
 * A BROADCAST with acks: adds up the client counts of the servers asked (to `localCount`), reports
 * the total once all did (or the time ran out), and passes on every ack; `finish` ends the
 * request once every counted ack came.
 */
export function broadcastAckHandlers(
  from: ReadonlySet<string>,
  localCount: number,
  clientCountCallback: (clientCount: number) => void,
  ack: (...args: unknown[]) => void,
  finish: () => void,
): RequestHandlers {
  let total = localCount, expected = 0, received = 0, reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    clientCountCallback(total);
  };
  return {
    answer(_uid, message) {
      if (message.type !== MessageType.BROADCAST_CLIENT_COUNT) return;
      total += message.data.clientCount;
      expected += message.data.clientCount;
    },
    answered: () => (report(), received < expected),
    notice(uid, message) {
      if (message.type !== MessageType.BROADCAST_ACK || !from.has(uid)) return;
      received++;
      ack(...(message.data.args ?? [message.data.packet]));
      if (reported && received >= expected) finish();
    },
    timedOut: report,
    closed() {},
  };
}
