// WebSocket relays between two servers of a cluster: a client's socket upgraded on one server
// (the relay) for a session another server owns, its frames carried both ways as RELAY_FRAME
// messages and its end as RELAY_CLOSE. Every link is bounded: frames that wait for a listener,
// and frames handed to the transport but not yet sent; past a bound, or when a frame is missing
// (a gap in `seq`), the link closes on both sides with an error rather than grow or lose silently.

import { Reassembly, splitFrame } from "./_cluster_relay_parts.ts";
import type { Outgoing } from "./_cluster_remote.ts";
import {
  type ClusterMessage,
  MessageType,
  type RelayFrame,
  type RelayLink,
  type RelayListener,
} from "./cluster_message.ts";

export type { RelayFrame, RelayLink, RelayListener };

/** Sends a message to one server; settles once the transport took it. */
export type SendTo = (peer: string, body: Outgoing) => Promise<void>;

/** Frames a link keeps until its listener attaches. */
export const MAX_QUEUED_FRAMES = 1000;
/** Frames a link may have handed to the transport and not yet seen sent. */
export const MAX_IN_FLIGHT_FRAMES = 4000;
/**
 * Bytes (UTF-16 units count two) a link may have handed to the transport and not yet seen sent;
 * one frame alone may exceed it.
 */
export const MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;
/** The close code of a link that failed (as `ws` reports an internal error). */
export const RELAY_FAILED = 1011;

type Relayed = Extract<
  ClusterMessage,
  { type: MessageType.RELAY_FRAME | MessageType.RELAY_CLOSE }
>;

class Link implements RelayLink {
  readonly id: string;
  readonly peer: string;
  closed = false;
  readonly #relays: Relays;
  #listener: RelayListener | undefined;
  #queue: RelayFrame[] = [];
  #ended: [number | undefined, string | undefined] | undefined;
  #inSeq = 0;
  #outSeq = 0;
  #inFlight = 0;
  #inFlightBytes = 0;
  readonly #parts = new Reassembly();

  constructor(id: string, peer: string, relays: Relays) {
    this.id = id;
    this.peer = peer;
    this.#relays = relays;
  }

  send(data: RelayFrame): void {
    if (this.closed) return;
    const parts = splitFrame(data);
    if (this.#inFlight + parts.length > MAX_IN_FLIGHT_FRAMES) {
      return this.fail(`more than ${MAX_IN_FLIGHT_FRAMES} frames wait for the cluster`);
    }
    // A client sending faster than the cluster carries must not fill this server's memory.
    const size = typeof data === "string" ? data.length * 2 : data.byteLength;
    if (this.#inFlightBytes > 0 && this.#inFlightBytes + size > MAX_IN_FLIGHT_BYTES) {
      return this.fail(`more than ${MAX_IN_FLIGHT_BYTES} bytes wait for the cluster`);
    }
    this.#inFlightBytes += size;
    const last = parts.length - 1;
    parts.forEach((frame, i) => {
      this.#inFlight++;
      const body: Outgoing = {
        type: MessageType.RELAY_FRAME,
        data: i < last
          ? { relayId: this.id, target: this.peer, seq: this.#outSeq++, frame, more: true }
          : { relayId: this.id, target: this.peer, seq: this.#outSeq++, frame },
      };
      const done = () => {
        this.#inFlight--;
        if (i === last) this.#inFlightBytes -= size;
      };
      this.#relays.send(this.peer, body).then(done, done);
    });
  }

  close(code?: number, reason?: string): void {
    if (this.closed) return;
    this.forget();
    const data: { relayId: string; target: string; code?: number; reason?: string } = {
      relayId: this.id,
      target: this.peer,
    };
    if (code !== undefined) data.code = code;
    if (reason !== undefined) data.reason = reason;
    void this.#relays.send(this.peer, { type: MessageType.RELAY_CLOSE, data });
  }

  attach(listener: RelayListener): void {
    this.#listener = listener;
    const queue = this.#queue;
    this.#queue = [];
    for (const frame of queue) listener.frame(frame);
    if (this.#ended) listener.closed(...this.#ended);
  }

  /** A message of the other side. */
  receive(message: Relayed): void {
    if (message.type === MessageType.RELAY_CLOSE) {
      return this.end(message.data.code, message.data.reason);
    }
    // A frame seen already is a store's retry delivering it twice (at least once): dropped.
    if (message.data.seq < this.#inSeq) return;
    if (message.data.seq !== this.#inSeq) {
      return this.fail(`frame ${this.#inSeq} was lost (got ${message.data.seq})`);
    }
    this.#inSeq++;
    const frame = this.#parts.add(message.data.frame, message.data.more === true);
    if (frame === undefined) return;
    if (frame instanceof Error) return this.fail(frame.message);
    if (this.#listener) return this.#listener.frame(frame);
    if (this.#queue.length >= MAX_QUEUED_FRAMES) {
      return this.fail(`more than ${MAX_QUEUED_FRAMES} frames came before the socket was ready`);
    }
    this.#queue.push(frame);
  }

  /** Fails on both sides. */
  fail(why: string): void {
    const reason = `Relay failed: ${why}`;
    this.close(RELAY_FAILED, reason);
    this.#hand(RELAY_FAILED, reason);
  }

  /** Ends here only (the other side closed, or left). */
  end(code: number | undefined, reason: string | undefined): void {
    if (this.closed) return;
    this.forget();
    this.#hand(code, reason);
  }

  forget(): void {
    this.closed = true;
    this.#relays.forget(this);
  }

  #hand(code: number | undefined, reason: string | undefined): void {
    if (this.#listener) this.#listener.closed(code, reason);
    else this.#ended = [code, reason];
    this.#queue = [];
  }
}

/** The relays of one adapter, by id. */
export class Relays {
  readonly #links = new Map<string, Link>();
  /** Sends a message to one server. */
  readonly send: SendTo;

  constructor(send: SendTo) {
    this.send = send;
  }

  /** How many relays are open. */
  get size(): number {
    return this.#links.size;
  }

  /** Whether a link has this id. */
  has(id: string): boolean {
    return this.#links.has(id);
  }

  /** Opens a link with `peer` (the id must be new). */
  open(id: string, peer: string): RelayLink {
    const link = new Link(id, peer, this);
    this.#links.set(id, link);
    return link;
  }

  /** Forgets a link without telling the other side (it never opened there, or it knows). */
  discard(link: RelayLink): void {
    if (!link.closed) (link as Link).forget();
  }

  /**
   * Hands a frame or a close to its link. A frame for a link gone (closed here, never opened)
   * is answered with a close, so the other side does not wait; one from a server other than the
   * link's peer is ignored.
   */
  receive(message: Relayed): void {
    const link = this.#links.get(message.data.relayId);
    if (link && link.peer === message.uid) return link.receive(message);
    if (!link && message.type === MessageType.RELAY_FRAME) {
      void this.send(message.uid, {
        type: MessageType.RELAY_CLOSE,
        data: {
          relayId: message.data.relayId,
          target: message.uid,
          code: RELAY_FAILED,
          reason: "Relay failed: unknown relay",
        },
      });
    }
  }

  /** Ends the links with a server that left the cluster. */
  drop(peer: string): void {
    for (const link of [...this.#links.values()]) {
      if (link.peer === peer) link.end(RELAY_FAILED, `Relay failed: ${peer} left the cluster`);
    }
  }

  /** Ends every link here (the adapter closes, or its channel dropped). */
  endAll(reason: string): void {
    for (const link of [...this.#links.values()]) link.end(RELAY_FAILED, `Relay failed: ${reason}`);
  }

  /** Link-internal. */
  forget(link: Link): void {
    if (this.#links.get(link.id) === link) this.#links.delete(link.id);
  }
}
