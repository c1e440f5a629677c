/**
 * The HTTP long-polling transport: a GET waits until the session has packets (or a heartbeat is
 * due) and carries them as one payload; a POST carries the client's packets.
 *
 * @module
 */

import {
  decodePayload,
  decodePayloadV3,
  encodePayload,
  encodePayloadV3,
  type EnginePacket,
} from "../../parser/mod.ts";
import { type OutPacket, Transport } from "./_transport.ts";
import type { Timers } from "./options.ts";
import { readBody } from "./read_body.ts";

/** Settings of one polling transport. */
export interface PollingOptions {
  /** The largest POST body accepted, in bytes. */
  maxHttpBufferSize: number;
  /** Whether the client reads binary bodies (EIO=3 with XHR2, not `b64=1` or JSONP). */
  supportsBinary: boolean;
  /** The JSONP callback index (`j`), for EIO=3 clients without XHR. */
  jsonp: string | undefined;
  /** Timers for the close timeout. */
  timers: Timers;
  /** Milliseconds a close waits for the client's next poll. */
  closeTimeout: number;
}

interface Poll {
  request: Request;
  resolve: (response: Response) => void;
  /** Stops watching the request for a client that went away. */
  unwatch: () => void;
}

const textDecoder = new TextDecoder();

/** Engine.IO over HTTP long-polling. Made by the engine per session. */
export class PollingTransport extends Transport {
  readonly name = "polling" as const;
  readonly #options: PollingOptions;
  #poll: Poll | undefined;
  #posting = false;
  #shouldClose: (() => void) | undefined;

  /**
   * Makes the transport of one session.
   *
   * @param protocol The Engine.IO revision of the client.
   * @param options Limits and encodings.
   */
  constructor(protocol: 3 | 4, options: PollingOptions) {
    super(protocol);
    this.#options = options;
  }

  /**
   * Answers one request of this session: GET waits for packets, POST delivers them.
   *
   * @param request The request.
   * @returns The response, once there is one to give.
   */
  handleRequest(request: Request): Promise<Response> {
    if (request.method === "GET") return this.#onPoll(request);
    if (request.method === "POST") return this.#onData(request);
    return Promise.resolve(new Response(null, { status: 500 }));
  }

  #onPoll(request: Request): Promise<Response> {
    if (this.#poll) {
      this.handler.onError("overlap from client");
      return Promise.resolve(new Response(null, { status: 400 }));
    }
    // Not Promise.withResolvers: Node 20, a runtime we serve, lacks it.
    let resolve!: (response: Response) => void;
    const promise = new Promise<Response>((settle) => resolve = settle);
    const onAbort = () => {
      if (this.#poll !== poll) return;
      this.#poll = undefined;
      this.writable = false;
      resolve(new Response(null, { status: 400 }));
      this.handler.onError("poll connection closed prematurely");
    };
    const unwatch = () => request.signal.removeEventListener("abort", onAbort);
    const poll: Poll = { request, resolve, unwatch };
    this.#poll = poll;
    if (request.signal.aborted) {
      onAbort();
      return promise;
    }
    request.signal.addEventListener("abort", onAbort, { once: true });
    this.writable = true;
    this.handler.onReady();
    if (this.writable && this.#shouldClose) this.send([{ type: "noop" }]);
    return promise;
  }

  async #onData(request: Request): Promise<Response> {
    if (this.#posting) {
      this.handler.onError("data request overlap from client");
      return new Response(null, { status: 400 });
    }
    const isBinary = request.headers.get("content-type") === "application/octet-stream";
    if (isBinary && this.protocol === 4) {
      this.handler.onError("invalid content");
      return new Response(null, { status: 400 });
    }
    this.#posting = true;
    let body: Uint8Array | undefined;
    try {
      body = await readBody(request, this.#options.maxHttpBufferSize);
    } catch {
      this.handler.onError("data request connection closed prematurely");
      return new Response(null, { status: 400 });
    } finally {
      this.#posting = false;
    }
    if (body === undefined) {
      this.handler.onError("payload too large");
      return new Response(null, { status: 413 });
    }
    if (!this.#deliver(isBinary ? body : this.#text(body))) {
      return new Response(null, { status: 400 });
    }
    return new Response("ok", { headers: { "Content-Type": "text/html" } });
  }

  #text(body: Uint8Array): string {
    const text = textDecoder.decode(body);
    if (this.#options.jsonp === undefined) return text;
    // A JSONP POST is a form with the payload in `d`, its newlines escaped by the client.
    const d = new URLSearchParams(text).get("d") ?? "";
    return d.replace(/(\\)?\\n/g, (match, slash) => (slash ? match : "\n")).replace(
      /\\\\n/g,
      "\\n",
    );
  }

  // Hands the packets to the session; false when the body does not decode.
  #deliver(body: string | Uint8Array): boolean {
    let packets: EnginePacket[];
    try {
      packets = this.protocol === 4 ? decodePayload(body as string) : decodePayloadV3(body);
    } catch {
      this.handler.onParseError();
      return false;
    }
    for (const packet of packets) {
      if (this.readyState === "closed") break;
      if (packet.type === "close") {
        this.onClose();
        break;
      }
      this.handler.onPacket(packet);
    }
    return true;
  }

  send(packets: OutPacket[]): void {
    const poll = this.#poll;
    if (!poll) return;
    this.writable = false;
    this.#poll = undefined;
    if (this.#shouldClose) {
      packets = [...packets, { type: "close" }];
      const close = this.#shouldClose;
      this.#shouldClose = undefined;
      close();
    }
    poll.unwatch();
    poll.resolve(this.#respond(packets));
    this.handler.onDrain();
  }

  #respond(packets: OutPacket[]): Response {
    const { jsonp, supportsBinary } = this.#options;
    let body = this.protocol === 4
      ? encodePayload(packets)
      : encodePayloadV3(packets, supportsBinary);
    let contentType = typeof body === "string"
      ? "text/plain; charset=UTF-8"
      : "application/octet-stream";
    if (jsonp !== undefined) {
      const js = JSON.stringify(body).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
      body = `___eio[${jsonp.replace(/[^0-9]/g, "")}](${js});`;
      contentType = "text/javascript; charset=UTF-8";
    }
    return new Response(body as BodyInit, {
      headers: { "Content-Type": contentType, "Cache-Control": "no-store" },
    });
  }

  protected doClose(done: () => void): void {
    let timer: unknown;
    const finish = () => {
      this.#options.timers.clearTimeout(timer);
      done();
      this.onClose();
    };
    if (this.writable) {
      this.send([{ type: "close" }]);
      finish();
    } else if (this.discarded) {
      finish();
    } else {
      this.#shouldClose = finish;
      timer = this.#options.timers.setTimeout(finish, this.#options.closeTimeout);
    }
  }

  protected override onClose(): void {
    if (this.writable) this.send([{ type: "noop" }]);
    super.onClose();
  }
}
