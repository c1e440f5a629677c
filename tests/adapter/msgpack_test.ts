// Differential tests of adapter/_msgpack.ts against notepack.io 3.0.1, the encoder of
// @socket.io/redis-adapter: the same bytes for random values, each decoder reads what the other
// wrote, and the base64 text parser equals the Node one (notepack.io + Buffer). Then what
// notepack.io cannot do or does wrongly, and hostile input.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import notepack from "notepack.io";
import { decodeMsgpack, encodeMsgpack, MAX_DEPTH } from "../../adapter/_msgpack.ts";
import { base64MsgpackParser } from "../../adapter/upstash_node.ts";

const RUNS = { numRuns: 1000 };

const key = fc.string({ unit: "grapheme", maxLength: 8 }).filter((k) => k !== "__proto__");
const number = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.integer({ min: -0x80000000, max: 0xffffffff }),
  // notepack.io wraps integers from 2^64 up and below -2^63 around (checked further down).
  fc.double().filter((n) => !Number.isInteger(n) || (n < 2 ** 64 && n >= -(2 ** 63))),
  fc.constantFrom(
    0,
    -0,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2 ** 32,
    -33,
    -129,
    -32769,
    -(2 ** 31) - 1,
  ),
);
const date = fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true });
const primitive = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  number,
  fc.boolean(),
  fc.constant(null),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    primitive,
    date,
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie("value"), { maxLength: 20 }),
    fc.dictionary(key, fc.oneof(tie("value"), fc.constant(undefined)), { maxKeys: 18 }),
  ),
}));

// Buffers (notepack's bin) as plain Uint8Arrays, so both decoders' results compare.
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object" && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

const theirs = (v: unknown) => new Uint8Array(notepack.encode(v));

Deno.test("encodeMsgpack() writes the bytes notepack.io writes, for random values", () => {
  fc.assert(
    fc.property(value, (v) => {
      assert.deepEqual(encodeMsgpack(v), theirs(v));
    }),
    RUNS,
  );
});

Deno.test("decodeMsgpack() reads what notepack.io writes as notepack.io reads it, and back", () => {
  fc.assert(
    fc.property(value, (v) => {
      const bytes = theirs(v);
      const expected = plain(notepack.decode(Buffer.from(bytes)));
      assert.deepEqual(plain(decodeMsgpack(bytes)), expected);
      assert.deepEqual(plain(notepack.decode(Buffer.from(encodeMsgpack(v)))), expected);
    }),
    RUNS,
  );
});

Deno.test("base64MsgpackParser matches the Node parser (notepack.io + Buffer base64) both ways", () => {
  const node = {
    encode: (v: unknown) => notepack.encode(v).toString("base64"),
    decode: (text: string) => notepack.decode(Buffer.from(text, "base64")),
  };
  fc.assert(
    fc.property(value, (v) => {
      const text = base64MsgpackParser.encode(v);
      assert.equal(text, node.encode(v));
      assert.match(text, /^[A-Za-z0-9+/]*={0,2}$/);
      assert.deepEqual(plain(base64MsgpackParser.decode(text)), plain(node.decode(text)));
    }),
    RUNS,
  );
});

Deno.test("decodeMsgpack() reads every ext notepack.io reads: undefined, ArrayBuffer, timestamps, others", () => {
  const cases: [number[], unknown][] = [
    [[0xd4, 0x00, 0x00], undefined],
    [[0xc7, 0x02, 0x00, 0x05, 0x06], new Uint8Array([5, 6]).buffer],
    [[0xd6, 0xff, 0x00, 0x00, 0x00, 0x01], new Date(1000)],
    [[0xd7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8], new Date(1000)],
    [[0xd4, 0x07, 0x09], [7, new Uint8Array([9])]],
    [[0xd5, 0x00, 0x01, 0x02], [0, new Uint8Array([1, 2])]],
    [[0xca, 0x3f, 0xc0, 0x00, 0x00], 1.5],
    [[0xd1, 0xff, 0x00], -256],
    [[0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], 2 ** 32],
  ];
  for (const [bytes, expected] of cases) {
    assert.deepEqual(decodeMsgpack(new Uint8Array(bytes)), expected, `${bytes}`);
    assert.deepEqual(plain(notepack.decode(Buffer.from(bytes))), plain(expected), `${bytes}`);
  }
  for (const date of [new Date(1500), new Date(-1500), new Date(2 ** 35 * 1000)]) {
    assert.deepEqual(decodeMsgpack(encodeMsgpack(date)), date);
  }
});

Deno.test("encodeMsgpack() stays correct where notepack.io is not", () => {
  // Integers from 2^64 up and below -2^63: notepack.io's 64-bit split wraps around; a float64
  // keeps the value.
  for (const n of [2 ** 64, -(2 ** 64), 1e300, -1e300]) {
    assert.equal(decodeMsgpack(encodeMsgpack(n)), n);
    assert.notEqual(notepack.decode(notepack.encode(n)), n);
  }
  // A typed array is its bytes, not its elements truncated to bytes.
  assert.deepEqual(decodeMsgpack(encodeMsgpack(new Uint16Array([0x0102]))), new Uint8Array([2, 1]));
  // Lone surrogates become U+FFFD, as TextEncoder writes them.
  assert.equal(decodeMsgpack(encodeMsgpack("a\ud800b")), "a\ufffdb");
  // toJSON is followed; functions are left out of objects; undefined in arrays is nil.
  assert.deepEqual(
    decodeMsgpack(encodeMsgpack({ a: { toJSON: () => "j" }, f() {}, u: [undefined] })),
    {
      a: "j",
      u: [null],
    },
  );
  assert.throws(() => encodeMsgpack(Symbol("s")), TypeError);
  assert.throws(() => encodeMsgpack(10n), TypeError);
  assert.throws(() => encodeMsgpack([() => {}]), TypeError);
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.throws(() => encodeMsgpack(cycle), RangeError);
});

Deno.test("decodeMsgpack() refuses hostile input without allocating or recursing past limits", () => {
  const refuse = (bytes: number[] | Uint8Array, message: RegExp) =>
    assert.throws(() => decodeMsgpack(new Uint8Array(bytes)), (e: Error) => {
      assert.ok(e instanceof SyntaxError, String(e));
      assert.match(e.message, message);
      return true;
    });
  refuse([], /1 bytes needed at offset 0, 0 left/);
  refuse([0xa3, 0x61], /3 bytes needed at offset 1, 1 left/);
  refuse([0x01, 0x02], /1 trailing bytes/);
  refuse([0xc1], /unknown prefix 0xc1/);
  refuse([0xdd, 0xff, 0xff, 0xff, 0xff], /array of 4294967295 too long/);
  refuse([0xdf, 0xff, 0xff, 0xff, 0xff], /map of 4294967295 too long/);
  refuse([0x81, 0x90, 0x01], /map key must be a string or a number/);
  refuse(new Uint8Array(MAX_DEPTH + 2).fill(0x91), /nested deeper than 1000/);
  // "__proto__" stays an own property, as JSON.parse makes it; no prototype changes.
  const decoded = decodeMsgpack(encodeMsgpack(JSON.parse('{"__proto__":{"x":1}}'))) as object;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.deepEqual(Object.keys(decoded), ["__proto__"]);
});
