import assert from "node:assert/strict";
import { Decoder, Encoder, type Packet, PacketType } from "../../parser/mod.ts";

const { CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK } = PacketType;

// Vectors from the Socket.IO v5 protocol description (docs/socket.io-protocol).
const TEXT_VECTORS: Array<[Packet, string]> = [
  [{ type: CONNECT, nsp: "/" }, "0"],
  [{ type: CONNECT, nsp: "/admin", data: { token: "123" } }, '0/admin,{"token":"123"}'],
  [
    { type: CONNECT, nsp: "/", data: { sid: "oSO0OpakMV_3jnilAAAA" } },
    '0{"sid":"oSO0OpakMV_3jnilAAAA"}',
  ],
  [
    { type: CONNECT_ERROR, nsp: "/", data: { message: "Not authorized" } },
    '4{"message":"Not authorized"}',
  ],
  [{ type: DISCONNECT, nsp: "/admin" }, "1/admin,"],
  [{ type: EVENT, nsp: "/", data: ["foo"] }, '2["foo"]'],
  [{ type: EVENT, nsp: "/admin", data: ["bar"] }, '2/admin,["bar"]'],
  [{ type: EVENT, nsp: "/", data: ["foo"], id: 12 }, '212["foo"]'],
  [{ type: ACK, nsp: "/admin", data: ["bar"], id: 13 }, '3/admin,13["bar"]'],
  [{ type: EVENT, nsp: "/", data: [42, "numeric event name"] }, '2[42,"numeric event name"]'],
];

Deno.test("Encoder.encode() and Decoder.add() follow the v5 text vectors", () => {
  const encoder = new Encoder();
  for (const [packet, text] of TEXT_VECTORS) {
    assert.deepEqual(encoder.encode(packet), [text]);
    assert.deepEqual(new Decoder().add(text), packet, text);
  }
});

Deno.test("Encoder.encode() sends binary data as attachments and Decoder.add() puts it back", () => {
  const encoder = new Encoder();
  const bytes = new Uint8Array([1, 2, 3]);
  const frames = encoder.encode({ type: EVENT, nsp: "/", data: ["hello", bytes] });
  assert.deepEqual(frames, ['51-["hello",{"_placeholder":true,"num":0}]', bytes]);
  const ack = encoder.encode({ type: ACK, nsp: "/admin", id: 456, data: [{ a: [bytes] }] });
  assert.deepEqual(ack, ['61-/admin,456[{"a":[{"_placeholder":true,"num":0}]}]', bytes]);

  const decoder = new Decoder();
  assert.equal(decoder.add(ack[0]!), undefined);
  assert.deepEqual(decoder.add(bytes), {
    type: ACK,
    nsp: "/admin",
    id: 456,
    data: [{ a: [bytes] }],
  });
});

Deno.test("Encoder.encode() leaves the caller's data untouched and honours toJSON()", () => {
  const bytes = new Uint8Array([5]);
  const data = ["x", { bytes, when: new Date(0) }];
  const frames = new Encoder().encode({ type: EVENT, nsp: "/", data });
  assert.deepEqual(data, ["x", { bytes, when: new Date(0) }]);
  assert.equal(
    frames[0],
    '51-["x",{"bytes":{"_placeholder":true,"num":0},"when":"1970-01-01T00:00:00.000Z"}]',
  );
  const custom = { toJSON: () => ({ inner: bytes }) };
  assert.deepEqual(new Encoder().encode({ type: EVENT, nsp: "/", data: ["y", custom] }), [
    '51-["y",{"inner":{"_placeholder":true,"num":0}}]',
    bytes,
  ]);
});

Deno.test("Encoder.encode() throws TypeError on cyclic data", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(
    () => new Encoder().encode({ type: EVENT, nsp: "/", data: ["x", cyclic] }),
    TypeError,
  );
});

Deno.test("Decoder emits decoded for each packet and stops after off()", () => {
  const decoder = new Decoder();
  const seen: Packet[] = [];
  const listener = (p: Packet) => seen.push(p);
  decoder.on("decoded", listener);
  decoder.add('2["a"]');
  decoder.off("decoded", listener);
  decoder.add('2["b"]');
  assert.deepEqual(seen, [{ type: EVENT, nsp: "/", data: ["a"] }]);
});

Deno.test("Decoder (protocol 4) reads Socket.IO v2 packets", () => {
  const decoder = new Decoder({ protocol: 4 });
  assert.deepEqual(decoder.add("0/admin?token=abc,"), { type: CONNECT, nsp: "/admin?token=abc" });
  assert.deepEqual(decoder.add('4"Not authorized"'), {
    type: CONNECT_ERROR,
    nsp: "/",
    data: "Not authorized",
  });
  assert.deepEqual(decoder.add('2/admin,1["x"]'), {
    type: EVENT,
    nsp: "/admin",
    id: 1,
    data: ["x"],
  });
});

const HOSTILE_TEXT: Array<[string, string]> = [
  ["", "empty frame"],
  ["7", "unknown type"],
  ["x", "non-digit type"],
  ['2["a"', "truncated JSON"],
  ["2{bad json}", "invalid JSON"],
  ['2{"a":1}', "event payload not an array"],
  ["2[]", "event with no name"],
  ['2[{"a":1}]', "event name an object"],
  ['2["disconnect"]', "reserved event name"],
  ['2["connect"]', "reserved event name"],
  ['2["newListener"]', "reserved event name"],
  ['3{"a":1}', "ack payload not an array"],
  ['1["x"]', "disconnect with payload"],
  ["0[1]", "connect payload an array"],
  ["0null", "connect payload null"],
  ["4true", "connect_error payload a boolean"],
  ['299999999999999999999999["a"]', "ack id beyond a safe integer"],
  ['5["a"]', "binary event with no attachment count"],
  ['5-["a"]', "empty attachment count"],
  ['50-["a"]', "zero attachments"],
  ['511-["a"]', "more attachments than the default limit of 10"],
  ['51e2-["a"]', "exponent attachment count"],
  ['5-1-["a"]', "negative attachment count"],
  ['59999999999999-["a"]', "absurd attachment count"],
];

Deno.test("Decoder.add() throws SyntaxError on hostile text frames", () => {
  for (const [frame, why] of HOSTILE_TEXT) {
    assert.throws(() => new Decoder().add(frame), SyntaxError, why);
  }
});

Deno.test("Decoder.add() throws SyntaxError on bad placeholders and out-of-order frames", () => {
  const bin = new Uint8Array([1]);
  const cases: Array<[string, number, string]> = [
    ['51-["a",{"_placeholder":true,"num":1}]', 1, "num out of range"],
    ['51-["a",{"_placeholder":true,"num":-1}]', 1, "negative num"],
    ['51-["a",{"_placeholder":true,"num":0.5}]', 1, "num not an integer"],
    ['51-["a",{"_placeholder":true,"num":"0"}]', 1, "num a string"],
    ['51-["a",{"_placeholder":true}]', 1, "num missing"],
    ['52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]', 2, "num reused"],
    ['52-["a",{"_placeholder":true,"num":0}]', 2, "fewer placeholders than attachments"],
    [
      '51-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
      1,
      "more placeholders",
    ],
  ];
  for (const [header, attachments, why] of cases) {
    const decoder = new Decoder();
    assert.equal(decoder.add(header), undefined, why);
    for (let i = 1; i < attachments; i++) decoder.add(bin);
    assert.throws(() => decoder.add(bin), SyntaxError, why);
    // After the error the decoder takes a fresh packet.
    assert.deepEqual(decoder.add('2["ok"]'), { type: EVENT, nsp: "/", data: ["ok"] }, why);
  }
  const decoder = new Decoder();
  assert.throws(() => decoder.add(bin), SyntaxError, "binary frame with no packet awaiting it");
  decoder.add('51-["a",{"_placeholder":true,"num":0}]');
  assert.throws(() => decoder.add('2["b"]'), SyntaxError, "text frame while awaiting attachments");
  assert.deepEqual(decoder.add('2["c"]'), { type: EVENT, nsp: "/", data: ["c"] });
});

Deno.test("Decoder maxAttachments raises or lowers the limit, and is validated", () => {
  const many = `512-["x",${
    Array.from({ length: 12 }, (_, i) => `{"_placeholder":true,"num":${i}}`)
  }]`;
  assert.throws(() => new Decoder().add(many), SyntaxError);
  const decoder = new Decoder({ maxAttachments: 12 });
  decoder.add(many);
  let packet: Packet | undefined;
  for (let i = 0; i < 12; i++) packet = decoder.add(new Uint8Array([i]));
  assert.equal((packet?.data as unknown[]).length, 13);
  assert.throws(() => new Decoder({ maxAttachments: 1 }).add('52-["x",1]'), SyntaxError);
  assert.throws(() => new Decoder({ maxAttachments: -1 }), RangeError);
  assert.throws(() => new Decoder({ maxAttachments: 1.5 }), RangeError);
});

Deno.test("Decoder.add() never pollutes prototypes through __proto__ keys", () => {
  const bin = new Uint8Array([1]);
  const decoder = new Decoder();
  decoder.add(
    '51-["a",{"__proto__":{"_placeholder":true,"num":0},"x":{"__proto__":{"polluted":1}}}]',
  );
  const packet = decoder.add(bin)!;
  const arg = (packet.data as unknown[])[1] as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(arg), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(arg, "__proto__")?.value, bin);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const text = new Decoder().add('2["a",{"__proto__":{"polluted":1}}]')!;
  assert.equal(Object.getPrototypeOf((text.data as unknown[])[1]), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("Encoder.encode() keeps a __proto__ key as data, never as a prototype", () => {
  const data = JSON.parse('["a",{"__proto__":{"polluted":1},"b":"x"}]');
  (data[1] as Record<string, unknown>).b = new Uint8Array([1]);
  const [text] = new Encoder().encode({ type: EVENT, nsp: "/", data });
  assert.equal(text, '51-["a",{"__proto__":{"polluted":1},"b":{"_placeholder":true,"num":0}}]');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("Decoder.add() survives deeply nested arrays without a stack overflow", () => {
  const depth = 200_000;
  const nested = "[".repeat(depth) + "]".repeat(depth);
  const text = new Decoder().add(`2["deep",${nested}]`);
  assert.equal(text?.type, EVENT);
  const decoder = new Decoder();
  decoder.add(`51-["deep",${"[".repeat(depth)}{"_placeholder":true,"num":0}${"]".repeat(depth)}]`);
  const binary = decoder.add(new Uint8Array([1]));
  assert.equal(binary?.type, EVENT);
});

Deno.test("Decoder.add() keeps BINARY_EVENT and BINARY_ACK types out of decoded packets", () => {
  const decoder = new Decoder();
  decoder.add('61-3[{"_placeholder":true,"num":0}]');
  const packet = decoder.add(new Uint8Array([1]))!;
  assert.equal(packet.type, ACK);
  assert.notEqual(packet.type, BINARY_ACK);
  assert.equal("attachments" in packet, false);
  decoder.add('51-["x",{"_placeholder":true,"num":0}]');
  assert.notEqual(decoder.add(new Uint8Array([1]))!.type, BINARY_EVENT);
});
