/**
 * A text form of {@linkcode ClusterMessage}s for transports that carry single lines of text
 * (Upstash's Server-Sent Events split on newlines): JSON on one line, binary values tagged as
 * base64.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "../parser/base64.ts";
import { isPlainObject } from "../parser/socket_packet.ts";
import { checkMessage, type ClusterMessage } from "./cluster_message.ts";

// The tags. An object of the sender's that happens to use one of these keys travels wrapped in
// `{"_esc": …}`, so no payload can pass for a tag.
const BINARY = "_b64";
const KIND = "_t";
const ESCAPE = "_esc";
const MAX_DEPTH = 1000;

type View = new (buffer: ArrayBuffer) => ArrayBufferView;
const VIEWS: Record<string, View> = {
  ArrayBuffer: Uint8Array, // read through bytes, returned as the buffer itself
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
};

function bytes(view: ArrayBuffer | ArrayBufferView): Uint8Array {
  return view instanceof ArrayBuffer
    ? new Uint8Array(view)
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function tagBinary(value: ArrayBuffer | ArrayBufferView): Record<string, string> {
  const tagged: Record<string, string> = { [BINARY]: encodeBase64(bytes(value)) };
  if (value instanceof Uint8Array) return tagged;
  const kind = value instanceof ArrayBuffer ? "ArrayBuffer" : value.constructor.name;
  if (VIEWS[kind] === undefined) {
    throw new TypeError(`Cannot encode cluster message: unsupported binary type ${kind}`);
  }
  tagged[KIND] = kind;
  return tagged;
}

// Turns a value into what JSON.stringify writes as is, with JSON's rules for the rest
// (`toJSON`, functions and `undefined` left out of objects and `null` in arrays).
function toTree(value: unknown, ancestors: unknown[]): unknown {
  if (typeof value === "bigint") {
    throw new TypeError("Cannot encode cluster message: a BigInt is not JSON");
  }
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return tagBinary(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return toTree((value as { toJSON(): unknown }).toJSON(), ancestors);
  }
  if (ancestors.includes(value)) throw new TypeError("Cannot encode cluster message: it is cyclic");
  if (ancestors.length >= MAX_DEPTH) {
    throw new TypeError(`Cannot encode cluster message: nested deeper than ${MAX_DEPTH} levels`);
  }
  if (typeof Blob === "function" && value instanceof Blob) {
    throw new TypeError("Cannot encode cluster message: a Blob cannot be read synchronously");
  }
  ancestors.push(value);
  let tree: unknown;
  if (Array.isArray(value)) {
    tree = value.map((item) => {
      const out = toTree(item, ancestors);
      return out === undefined || typeof out === "function" || typeof out === "symbol" ? null : out;
    });
  } else {
    const out: Record<string, unknown> = {};
    let tagLike = false;
    for (const [key, item] of Object.entries(value)) {
      const converted = toTree(item, ancestors);
      if (converted === undefined || typeof converted === "function") continue;
      if (typeof converted === "symbol") continue;
      if (key === BINARY || key === ESCAPE) tagLike = true;
      // defineProperty, so a key named "__proto__" stays a key.
      Object.defineProperty(out, key, { value: converted, enumerable: true, writable: true });
    }
    tree = tagLike ? { [ESCAPE]: out } : out;
  }
  ancestors.pop();
  return tree;
}

function untagBinary(tag: Record<string, unknown>, at: string): ArrayBuffer | ArrayBufferView {
  const text = tag[BINARY];
  const kind = tag[KIND] ?? "Uint8Array";
  const keys = Object.keys(tag).length;
  if (typeof text !== "string" || keys !== (KIND in tag ? 2 : 1)) {
    throw new SyntaxError(`Cannot read cluster message: malformed binary value at ${at}`);
  }
  const decoded = decodeBase64(text);
  if (kind === "Uint8Array") return decoded;
  const View = typeof kind === "string" ? VIEWS[kind] : undefined;
  if (View === undefined) {
    throw new SyntaxError(`Cannot read cluster message: unknown binary type at ${at}`);
  }
  // A fresh buffer that holds exactly these bytes.
  const buffer = decoded.buffer.slice(
    decoded.byteOffset,
    decoded.byteOffset + decoded.byteLength,
  ) as ArrayBuffer;
  if (kind === "ArrayBuffer") return buffer;
  try {
    return new View(buffer);
  } catch {
    throw new SyntaxError(`Cannot read cluster message: ${kind} of ${buffer.byteLength} bytes`);
  }
}

function fromTree(value: unknown, at: string, depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) {
    throw new SyntaxError(`Cannot read cluster message: nested deeper than ${MAX_DEPTH} levels`);
  }
  if (Array.isArray(value)) return value.map((item, i) => fromTree(item, `${at}[${i}]`, depth + 1));
  const object = value as Record<string, unknown>;
  if (BINARY in object) return untagBinary(object, at);
  let entries = object;
  if (ESCAPE in object) {
    const inner = object[ESCAPE];
    if (Object.keys(object).length !== 1 || !isPlainObject(inner)) {
      throw new SyntaxError(`Cannot read cluster message: malformed escaped object at ${at}`);
    }
    entries = inner;
  }
  return Object.fromEntries(
    Object.entries(entries).map(([key, item]) => [key, fromTree(item, `${at}.${key}`, depth + 1)]),
  );
}

/**
 * Writes a cluster message as one line of JSON. Binary values anywhere in it become
 * `{"_b64": "<base64>"}` (with `"_t": "ArrayBuffer"`, `"Int16Array"`… for what is not a
 * `Uint8Array`); an object of the sender's with a `_b64` or `_esc` key is wrapped in
 * `{"_esc": …}`; U+2028 and U+2029 are escaped as well as the control characters JSON escapes,
 * so the text holds no line terminator of any kind. Values JSON cannot hold follow JSON's rules
 * (`undefined` and functions are left out of objects, `null` in arrays, `toJSON()` is called).
 *
 * @param message The message.
 * @returns The text, without line breaks.
 * @throws {TypeError} When the message is cyclic, nested deeper than 1000 levels, or holds a
 * `BigInt` or a `Blob`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, MessageType } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * const text = encodeMessage({
 *   uid: "a1",
 *   nsp: "/",
 *   type: MessageType.SERVER_SIDE_EMIT,
 *   data: { packet: ["file", new Uint8Array([1, 2, 3]), "line\u2028break"] },
 * });
 * assert.equal(
 *   text,
 *   '{"uid":"a1","nsp":"/","type":9,"data":{"packet":["file",{"_b64":"AQID"},"line\\u2028break"]}}',
 * );
 * assert.deepEqual(decodeMessage(text).data, {
 *   packet: ["file", new Uint8Array([1, 2, 3]), "line\u2028break"],
 * });
 * ```
 */
export function encodeMessage(message: ClusterMessage): string {
  return JSON.stringify(toTree(message, [])).replace(
    /[\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

/**
 * Reads a message {@linkcode encodeMessage} wrote, restoring binary values as the types they were
 * sent as, and checks it (see {@linkcode checkMessage}).
 *
 * @param text The text.
 * @returns The message.
 * @throws {SyntaxError} When the text is not JSON, has a malformed tag, or is not a cluster
 * message.
 *
 * @example Malformed input is refused
 * ```ts
 * import { decodeMessage } from "@edgeio/edgeio/adapter";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => decodeMessage("{not json"), SyntaxError);
 * assert.throws(() => decodeMessage('{"uid":"a1","nsp":"/","type":3}'), {
 *   message: "Cannot read cluster message: data must be an object, got undefined",
 * });
 * ```
 */
export function decodeMessage(text: string): ClusterMessage {
  if (typeof text !== "string") {
    throw new SyntaxError(`Cannot read cluster message: expected text, got ${typeof text}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const start = text.length > 40 ? `${text.slice(0, 37)}...` : text;
    throw new SyntaxError(`Cannot read cluster message: not JSON: ${JSON.stringify(start)}`);
  }
  return checkMessage(fromTree(parsed, "message", 0));
}
