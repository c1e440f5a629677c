// The part every transport shares: its state, the handler its session listens through, and
// the close sequence. Private to server/engine/.

import type { EnginePacket } from "../../parser/mod.ts";
import type { TransportName } from "./options.ts";

/** A packet on its way out, with the per-packet options the session keeps. */
export interface OutPacket extends EnginePacket {
  options?: { compress?: boolean };
}

/** What a transport tells its session. */
export interface TransportHandler {
  onPacket(packet: EnginePacket): void;
  /** The transport can take packets now (a poll is waiting). */
  onReady(): void;
  /** A batch given to `send` is on the wire. */
  onDrain(): void;
  /** The transport failed; `message` says how. */
  onError(message: string): void;
  /** The peer sent something that does not decode. */
  onParseError(): void;
  onClose(): void;
}

const IGNORE: TransportHandler = {
  onPacket() {},
  onReady() {},
  onDrain() {},
  onError() {},
  onParseError() {},
  onClose() {},
};

export abstract class Transport {
  abstract readonly name: TransportName;
  readonly protocol: 3 | 4;
  writable = false;
  discarded = false;
  readyState: "open" | "closing" | "closed" = "open";
  handler: TransportHandler = IGNORE;

  constructor(protocol: 3 | 4) {
    this.protocol = protocol;
  }

  abstract send(packets: OutPacket[]): void;
  protected abstract doClose(done: () => void): void;

  /** Stops listening: the session is done with this transport. */
  detach(): void {
    this.handler = IGNORE;
  }

  /** Marks the transport as replaced by an upgrade: closing it sends nothing more. */
  discard(): void {
    this.discarded = true;
  }

  close(done?: () => void): void {
    if (this.readyState === "closed" || this.readyState === "closing") return;
    this.readyState = "closing";
    this.doClose(done ?? (() => {}));
  }

  protected onClose(): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.handler.onClose();
  }
}
