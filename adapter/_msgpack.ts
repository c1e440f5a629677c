// MessagePack as notepack.io 3 writes and reads it, which is what @socket.io/redis-adapter puts
// on the bus: for every value notepack.io encodes correctly (integers from -2^63 to 2^64,
// floats, well-formed strings, byte arrays, arrays, plain objects, Dates, objects with toJSON)
// the bytes are the same, and everything notepack.io writes decodes to the same value, except
// that bin becomes a Uint8Array (a Buffer on Node). Where notepack.io fails or writes garbage,
// this refuses or stays correct: larger integers go out as float64, typed arrays other than
// Uint8Array as their own bytes, lone surrogates as U+FFFD, and hostile input (lengths past the
// end, nesting deeper than MAX_DEPTH, `__proto__` keys) throws or stays an own property.

import { toUint8Array } from "../parser/binary.ts";

/** How deep arrays and maps may nest, in both directions (a cycle ends here too). */
export const MAX_DEPTH = 1000;

const TIMESTAMP32_MAX_SEC = 0xffffffff;
const TIMESTAMP64_MAX_SEC = 0x3ffffffff;
const TWO_32 = 0x100000000;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

class Writer {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  length = 0;

  #reserve(n: number): void {
    if (this.length + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#bytes.subarray(0, this.length));
    this.#bytes = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  // Each value is taken modulo 256, as a Buffer stores what notepack.io pushes.
  push(...values: number[]): void {
    this.#reserve(values.length);
    for (const value of values) this.#bytes[this.length++] = value;
  }

  bytes(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#bytes.set(data, this.length);
    this.length += data.length;
  }

  float64(value: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.length, value);
    this.length += 8;
  }

  result(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }
}

function header(w: Writer, length: number, fix: number, fixMax: number, codes: number[]): void {
  if (fix >= 0 && length < fixMax) return w.push(fix | length);
  const [c8, c16, c32] = codes as [number, number, number];
  if (c8 !== 0 && length < 0x100) return w.push(c8, length);
  if (length < 0x10000) return w.push(c16, length >> 8, length);
  if (length < TWO_32) return w.push(c32, length >> 24, length >> 16, length >> 8, length);
  throw new RangeError(`Cannot encode msgpack: length ${length} exceeds 2^32 - 1`);
}

function encodeNumber(w: Writer, value: number): void {
  if (
    Math.floor(value) !== value || !Number.isFinite(value) || value >= TWO_64 ||
    value < -TWO_63
  ) {
    w.push(0xcb);
    return w.float64(value);
  }
  if (value >= 0) {
    if (value < 0x80) return w.push(value);
    if (value < 0x100) return w.push(0xcc, value);
    if (value < 0x10000) return w.push(0xcd, value >> 8, value);
    if (value < TWO_32) return w.push(0xce, value >> 24, value >> 16, value >> 8, value);
    const hi = Math.floor(value / TWO_32), lo = value >>> 0;
    return w.push(0xcf, hi >> 24, hi >> 16, hi >> 8, hi, lo >> 24, lo >> 16, lo >> 8, lo);
  }
  if (value >= -0x20) return w.push(value);
  if (value >= -0x80) return w.push(0xd0, value);
  if (value >= -0x8000) return w.push(0xd1, value >> 8, value);
  if (value >= -0x80000000) return w.push(0xd2, value >> 24, value >> 16, value >> 8, value);
  const hi = Math.floor(value / TWO_32), lo = value >>> 0;
  w.push(0xd3, hi >> 24, hi >> 16, hi >> 8, hi, lo >> 24, lo >> 16, lo >> 8, lo);
}

// The timestamp extension (type -1), in the smallest of its three sizes.
function encodeDate(w: Writer, date: Date): void {
  const ms = date.getTime();
  const s = Math.floor(ms / 1e3);
  const ns = (ms - s * 1e3) * 1e6;
  if (s >= 0 && ns >= 0 && s <= TIMESTAMP64_MAX_SEC) {
    if (ns === 0 && s <= TIMESTAMP32_MAX_SEC) {
      return w.push(0xd6, 0xff, s >> 24, s >> 16, s >> 8, s);
    }
    const hi = Math.floor(s / TWO_32), lo = s >>> 0;
    return w.push(
      0xd7,
      0xff,
      ns >> 22,
      ns >> 14,
      ns >> 6,
      ((ns << 2) & 0xfc) | hi,
      lo >> 24,
      lo >> 16,
      lo >> 8,
      lo,
    );
  }
  const hi = Math.floor(s / TWO_32), lo = s >>> 0;
  w.push(0xc7, 0x0c, 0xff, ns >> 24, ns >> 16, ns >> 8, ns);
  w.push(hi >> 24, hi >> 16, hi >> 8, hi, lo >> 24, lo >> 16, lo >> 8, lo);
}

function encodeValue(w: Writer, value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new RangeError(`Cannot encode msgpack: nesting deeper than ${MAX_DEPTH} (a cycle?)`);
  }
  switch (typeof value) {
    case "string": {
      const bytes = encoder.encode(value);
      header(w, bytes.length, 0xa0, 0x20, [0xd9, 0xda, 0xdb]);
      return w.bytes(bytes);
    }
    case "number":
      return encodeNumber(w, value);
    case "boolean":
      return w.push(value ? 0xc3 : 0xc2);
    case "undefined":
      return w.push(0xc0);
    case "object":
      return encodeObject(w, value, depth);
  }
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return encodeValue(w, json.call(value), depth + 1);
  throw new TypeError(`Cannot encode msgpack: a ${typeof value} has no msgpack form`);
}

function encodeObject(w: Writer, value: object | null, depth: number): void {
  if (value === null) return w.push(0xc0);
  if (Array.isArray(value)) {
    header(w, value.length, 0x90, 0x10, [0, 0xdc, 0xdd]);
    for (const item of value) encodeValue(w, item, depth + 1);
    return;
  }
  if (value instanceof Date) return encodeDate(w, value);
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = toUint8Array(value);
    header(w, bytes.length, -1, 0, [0xc4, 0xc5, 0xc6]);
    return w.bytes(bytes);
  }
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return encodeValue(w, json.call(value), depth + 1);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) =>
    record[key] !== undefined && typeof record[key] !== "function"
  );
  header(w, keys.length, 0x80, 0x10, [0, 0xde, 0xdf]);
  for (const key of keys) {
    encodeValue(w, key, depth + 1);
    encodeValue(w, record[key], depth + 1);
  }
}

/**
 * Encodes a value as MessagePack, byte for byte as notepack.io 3 does for what it can encode.
 *
 * @throws {TypeError} For a symbol, a function in an array, or a bigint without `toJSON`.
 * @throws {RangeError} For nesting deeper than {@linkcode MAX_DEPTH}.
 */
export function encodeMsgpack(value: unknown): Uint8Array {
  const w = new Writer();
  encodeValue(w, value, 0);
  return w.result();
}

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.#bytes.length - this.offset;
  }

  #need(n: number): number {
    if (n > this.left) {
      throw new SyntaxError(
        `Cannot decode msgpack: ${n} bytes needed at offset ${this.offset}, ${this.left} left`,
      );
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8 = (): number => this.#view.getUint8(this.#need(1));
  i8 = (): number => this.#view.getInt8(this.#need(1));
  u16 = (): number => this.#view.getUint16(this.#need(2));
  u32 = (): number => this.#view.getUint32(this.#need(4));
  i32 = (): number => this.#view.getInt32(this.#need(4));
  f32 = (): number => this.#view.getFloat32(this.#need(4));
  f64 = (): number => this.#view.getFloat64(this.#need(8));
  bin = (n: number): Uint8Array => this.#bytes.slice(this.#need(n), this.offset);
  str = (n: number): string => decoder.decode(this.#bytes.subarray(this.#need(n), this.offset));
}

// notepack.io's ext types: type 0 is undefined as fixext 1, a Date in milliseconds as fixext 8
// and an ArrayBuffer as ext 8/16/32; type -1 is the timestamp (fixext 4 and 8, ext 8 of 12
// bytes); anything else comes back as [type, bytes].
function decodeExt(r: Reader, prefix: number, length: number, type: number): unknown {
  const fixed = prefix >= 0xd4;
  if (type === 0) {
    if (!fixed) return r.bin(length).buffer;
    if (length === 1) return void r.u8();
    if (length === 8) return new Date(r.i32() * TWO_32 + r.u32());
  }
  if (type === -1 && fixed && length === 4) return new Date(r.u32() * 1e3);
  if (type === -1 && fixed && length === 8) {
    const hi = r.u32(), lo = r.u32();
    return new Date(((hi & 0x3) * TWO_32 + lo) * 1e3 + (hi >>> 2) / 1e6);
  }
  if (type === -1 && prefix === 0xc7 && length === 12) {
    const ns = r.u32(), hi = r.i32(), lo = r.u32();
    return new Date((hi * TWO_32 + lo) * 1e3 + ns / 1e6);
  }
  return [type, r.bin(length)];
}

function decodeArray(r: Reader, length: number, depth: number): unknown[] {
  // Every element takes a byte at least: a forged length cannot allocate more than the input.
  if (length > r.left) throw new SyntaxError(`Cannot decode msgpack: array of ${length} too long`);
  const array = new Array<unknown>(length);
  for (let i = 0; i < length; i++) array[i] = decodeValue(r, depth + 1);
  return array;
}

function decodeMap(r: Reader, length: number, depth: number): Record<string, unknown> {
  if (length * 2 > r.left) {
    throw new SyntaxError(`Cannot decode msgpack: map of ${length} too long`);
  }
  const map: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const key = decodeValue(r, depth + 1);
    if (typeof key === "object" && key !== null || typeof key === "undefined") {
      throw new SyntaxError("Cannot decode msgpack: a map key must be a string or a number");
    }
    // An own property even for "__proto__", as JSON.parse makes it.
    Object.defineProperty(map, String(key), {
      value: decodeValue(r, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return map;
}

function decodeValue(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) {
    throw new SyntaxError(`Cannot decode msgpack: nested deeper than ${MAX_DEPTH}`);
  }
  const prefix = r.u8();
  if (prefix < 0x80) return prefix;
  if (prefix < 0x90) return decodeMap(r, prefix & 0x0f, depth);
  if (prefix < 0xa0) return decodeArray(r, prefix & 0x0f, depth);
  if (prefix < 0xc0) return r.str(prefix & 0x1f);
  if (prefix > 0xdf) return prefix - 0x100;
  switch (prefix) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return r.bin(r.u8());
    case 0xc5:
      return r.bin(r.u16());
    case 0xc6:
      return r.bin(r.u32());
    case 0xc7:
      return decodeExt(r, prefix, r.u8(), r.i8());
    case 0xc8:
      return decodeExt(r, prefix, r.u16(), r.i8());
    case 0xc9:
      return decodeExt(r, prefix, r.u32(), r.i8());
    case 0xca:
      return r.f32();
    case 0xcb:
      return r.f64();
    case 0xcc:
      return r.u8();
    case 0xcd:
      return r.u16();
    case 0xce:
      return r.u32();
    case 0xcf:
      return r.u32() * TWO_32 + r.u32();
    case 0xd0:
      return r.i8();
    case 0xd1:
      return r.u16() << 16 >> 16;
    case 0xd2:
      return r.i32();
    case 0xd3:
      return r.i32() * TWO_32 + r.u32();
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return decodeExt(r, prefix, 1 << (prefix - 0xd4), r.i8());
    case 0xd9:
      return r.str(r.u8());
    case 0xda:
      return r.str(r.u16());
    case 0xdb:
      return r.str(r.u32());
    case 0xdc:
      return decodeArray(r, r.u16(), depth);
    case 0xdd:
      return decodeArray(r, r.u32(), depth);
    case 0xde:
      return decodeMap(r, r.u16(), depth);
    case 0xdf:
      return decodeMap(r, r.u32(), depth);
  }
  throw new SyntaxError(`Cannot decode msgpack: unknown prefix 0x${prefix.toString(16)}`);
}

/**
 * Decodes one MessagePack value that fills `bytes` exactly.
 *
 * @throws {SyntaxError} On truncated or trailing bytes, an unknown prefix, a map key that is not
 * a string or number, or nesting deeper than {@linkcode MAX_DEPTH}.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = decodeValue(r, 0);
  if (r.left !== 0) throw new SyntaxError(`Cannot decode msgpack: ${r.left} trailing bytes`);
  return value;
}
