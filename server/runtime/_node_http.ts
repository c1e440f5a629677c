// Node's `(req, res)` and raw sockets to Web `Request`/`Response` and back: streaming bodies,
// backpressure, abort on a vanished client. Private to server/runtime/: node.ts serves with it.

import type { Buffer } from "node:buffer";
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ConnectionInfo } from "../engine/server.ts";

// Bytes of request body queued for a reader before Node is asked to stop reading the socket.
const BODY_HIGH_WATER_MARK = 64 * 1024;

// A plain Uint8Array over the Buffer's memory: the engine's users see no Buffer methods.
export function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// An HTTP/1.1 response on a socket Node has let go of; the body ends with the connection.
export async function writeRawResponse(socket: Duplex, response: Response): Promise<void> {
  if (socket.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const reason = response.statusText || STATUS_CODES[response.status] || "";
  let head = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  response.headers.forEach((value, name) => {
    if (name !== "connection" && name !== "transfer-encoding") head += `${name}: ${value}\r\n`;
  });
  socket.write(`${head}Connection: close\r\n\r\n`);
  if (!response.body || await pipeBody(response.body, socket)) {
    socket.once("finish", () => socket.destroy());
    socket.end();
  }
}

// The Web Request of a Node request, and how to drop the rest of its body once answered.
export function toRequest(
  req: IncomingMessage,
  signal: AbortSignal,
  withBody: boolean,
): { request: Request; discardBody: () => void } {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // HTTP/2 pseudo-headers (":path") are not headers of the Request.
    if (!name.startsWith(":")) headers.append(name, raw[i + 1]!);
  }
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex: "half" } = { method, headers, signal, duplex: "half" };
  let discardBody = () => {};
  if (withBody && method !== "GET" && method !== "HEAD") {
    const body = requestBody(req);
    init.body = body.stream;
    discardBody = body.discard;
  }
  const path = req.url ?? "/";
  const scheme = "encrypted" in req.socket && req.socket.encrypted ? "https" : "http";
  const url = path.startsWith("/") ? `${scheme}://${req.headers.host ?? "localhost"}${path}` : path;
  return { request: new Request(url, init), discardBody };
}

// The request body as a stream that reads the socket only as fast as the handler reads it.
// A handler that stops early (cancels, e.g. for 413, or answers without reading) leaves the rest
// to be read and dropped, so the client sees the response rather than a connection reset.
function requestBody(
  req: IncomingMessage,
): { stream: ReadableStream<Uint8Array>; discard(): void } {
  let settled = false;
  let settle: (error?: unknown) => void = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      settle = (error) => {
        if (settled) return;
        settled = true;
        if (error === undefined) controller.close();
        else controller.error(error);
      };
      req.on("data", (chunk: Buffer) => {
        if (settled) return;
        controller.enqueue(toBytes(chunk));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => settle());
      req.once("error", settle);
      req.once("close", () => settle(new Error("Cannot read the request body: the client left")));
    },
    pull() {
      req.resume();
    },
    cancel() {
      settled = true;
      req.resume();
    },
  }, { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength });
  const discard = () => {
    settle(new Error("Cannot read the request body: the response was sent"));
    req.resume();
  };
  return { stream, discard };
}

export function connectionInfo(req: IncomingMessage): ConnectionInfo {
  const hostname = req.socket.remoteAddress;
  return hostname === undefined ? {} : { remoteAddr: { hostname } };
}

// Response headers for `writeHead`; repeated fields (Set-Cookie) as arrays, one line each.
export function nodeHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    const seen = out[name];
    out[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  });
  return out;
}

interface Sink {
  write(chunk: Uint8Array): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  readonly destroyed: boolean;
}

// Writes a body, waiting for "drain" whenever Node's buffer is full; false when the peer left.
export async function pipeBody(body: ReadableStream<Uint8Array>, sink: Sink): Promise<boolean> {
  const reader = body.getReader();
  let finished = false;
  try {
    while (!sink.destroyed) {
      const { done, value } = await reader.read();
      if (done) return finished = true;
      if (!sink.write(value) && !sink.destroyed) await drained(sink);
    }
    return false;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

function drained(sink: Sink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off("drain", done);
      sink.off("close", done);
      resolve();
    };
    sink.once("drain", done);
    sink.once("close", done);
  });
}

// A `ws` socket as the engine sees it.
