import assert from "node:assert/strict";
import {
  checkMessage,
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  MessageType,
} from "../../adapter/mod.ts";

function emit(packet: unknown[]): ClusterMessage {
  return { uid: "a1", nsp: "/", type: MessageType.SERVER_SIDE_EMIT, data: { packet } };
}

function roundTrip(packet: unknown[]): unknown[] {
  const text = encodeMessage(emit(packet));
  assert.ok(!/[\r\n\u2028\u2029]/.test(text), text);
  const decoded = decodeMessage(text);
  assert.equal(decoded.type, MessageType.SERVER_SIDE_EMIT);
  return decoded.type === MessageType.SERVER_SIDE_EMIT ? decoded.data.packet : [];
}

Deno.test("encodeMessage() and decodeMessage() round-trip binary values of every kind", () => {
  const buffer = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
  const packet = [
    "files",
    new Uint8Array([0, 255, 10, 13]),
    buffer,
    { deep: [{ bytes: new Uint8Array([]) }], view: new Uint8Array(buffer, 2, 3) },
    new Int16Array([-1, 300]),
    new Float64Array([0.5]),
    new DataView(buffer, 4, 4),
  ];
  const back = roundTrip(packet);
  assert.deepEqual(back, [
    "files",
    new Uint8Array([0, 255, 10, 13]),
    buffer,
    { deep: [{ bytes: new Uint8Array([]) }], view: new Uint8Array([3, 4, 5]) },
    new Int16Array([-1, 300]),
    new Float64Array([0.5]),
    new DataView(new Uint8Array([5, 6, 7, 8]).buffer),
  ]);
  assert.ok(back[2] instanceof ArrayBuffer);
  assert.ok(back[1] instanceof Uint8Array);
});

Deno.test("encodeMessage() writes one line whatever the strings hold", () => {
  const text = encodeMessage(emit(["a\nb\r\nc\u2028d\u2029e\u0000"]));
  assert.equal(
    text,
    '{"uid":"a1","nsp":"/","type":9,"data":{"packet":["a\\nb\\r\\nc\\u2028d\\u2029e\\u0000"]}}',
  );
  assert.deepEqual(roundTrip(["a\nb\r\nc\u2028d\u2029e\u0000"]), ["a\nb\r\nc\u2028d\u2029e\u0000"]);
});

Deno.test("encodeMessage() escapes objects that look like tags, so they come back as sent", () => {
  const tricky = [
    { _b64: "AQID" },
    { _b64: "AQID", _t: "ArrayBuffer" },
    { _esc: { _b64: "x" } },
    { _t: "Int8Array" },
    { ["__proto__"]: { polluted: true }, ok: 1 },
  ];
  const text = encodeMessage(emit(tricky));
  assert.match(text, /"packet":\[\{"_esc":\{"_b64":"AQID"\}\}/);
  const back = roundTrip(tricky) as Record<string, unknown>[];
  assert.deepEqual(back.slice(0, 4), tricky.slice(0, 4));
  assert.deepEqual(Object.keys(back[4]!), ["__proto__", "ok"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(back[4]), Object.prototype);
});

Deno.test("encodeMessage() follows JSON for what JSON cannot hold, and refuses what it cannot write", () => {
  const date = new Date(0);
  assert.deepEqual(roundTrip([undefined, () => 1, { a: undefined, f() {}, date }, NaN]), [
    null,
    null,
    { date: "1970-01-01T00:00:00.000Z" },
    null,
  ]);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => encodeMessage(emit([cyclic])), {
    name: "TypeError",
    message: "Cannot encode cluster message: it is cyclic",
  });
  assert.throws(() => encodeMessage(emit([10n])), TypeError);
  assert.throws(() => encodeMessage(emit([new Blob(["x"])])), TypeError);
  // The same object twice is no cycle.
  const shared = { n: 1 };
  assert.deepEqual(roundTrip([shared, [shared]]), [{ n: 1 }, [{ n: 1 }]]);
});

Deno.test("decodeMessage() refuses malformed input with a SyntaxError that says why", () => {
  const cases: Array<[string, string]> = [
    ["", 'not JSON: ""'],
    ["[1]", "the message must be an object, got [1]"],
    ['{"nsp":"/","type":2}', "uid must be a non-empty string, got undefined"],
    ['{"uid":"","nsp":"/","type":2}', 'uid must be a non-empty string, got ""'],
    ['{"uid":"a","type":2}', "nsp must be a string, got undefined"],
    ['{"uid":"a","nsp":"/","type":"2"}', 'type must be a message type, got "2"'],
    ['{"uid":"a","nsp":"/","type":0}', "type must be a message type, got 0"],
    [
      '{"uid":"a","nsp":"/","type":3,"data":{"packet":{"type":9,"nsp":"/"},"opts":{}}}',
      "data.packet.type must be a packet type, got 9",
    ],
    [
      '{"uid":"a","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","id":-1},"opts":{"rooms":[]}}}',
      "data.packet.id must be a non-negative integer, got -1",
    ],
    [
      '{"uid":"a","nsp":"/","type":4,"data":{"opts":{"rooms":[1]},"rooms":[]}}',
      "data.opts.rooms must be an array of strings, got [1]",
    ],
    [
      '{"uid":"a","nsp":"/","type":4,"data":{"opts":{"rooms":[],"flags":{"local":1}},"rooms":[]}}',
      "data.opts.flags.local must be a boolean, got 1",
    ],
    [
      '{"uid":"a","nsp":"/","type":6,"data":{"opts":{"rooms":[]},"close":"yes"}}',
      'data.close must be a boolean, got "yes"',
    ],
    [
      '{"uid":"a","nsp":"/","type":7,"data":{"opts":{"rooms":[]}}}',
      "data.requestId must be a non-empty string, got undefined",
    ],
    [
      '{"uid":"a","nsp":"/","type":8,"data":{"requestId":"r","sockets":[{"id":"s"}]}}',
      "data.sockets[0].rooms must be an array of strings, got undefined",
    ],
    [
      '{"uid":"a","nsp":"/","type":9,"data":{"packet":"ev"}}',
      'data.packet must be an array, got "ev"',
    ],
    [
      '{"uid":"a","nsp":"/","type":9,"data":{"packet":[],"requestId":7}}',
      "data.requestId must be a non-empty string, got 7",
    ],
    [
      '{"uid":"a","nsp":"/","type":11,"data":{"requestId":"r","clientCount":1.5}}',
      "data.clientCount must be a non-negative integer, got 1.5",
    ],
    [
      '{"uid":"a","nsp":"/","type":9,"data":{"packet":[{"_b64":1}]}}',
      "malformed binary value at message.data.packet[0]",
    ],
    [
      '{"uid":"a","nsp":"/","type":9,"data":{"packet":[{"_b64":"AQ","_t":"Blob"}]}}',
      "unknown binary type at message.data.packet[0]",
    ],
    [
      '{"uid":"a","nsp":"/","type":9,"data":{"packet":[{"_b64":"AQ","_t":"Int16Array"}]}}',
      "Int16Array of 1 bytes",
    ],
    [
      '{"uid":"a","nsp":"/","type":9,"data":{"packet":[{"_esc":1}]}}',
      "malformed escaped object at message.data.packet[0]",
    ],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => decodeMessage(text), (error: Error) => {
      assert.equal(error.name, "SyntaxError", text);
      assert.equal(error.message, `Cannot read cluster message: ${why}`, text);
      return true;
    });
  }
  assert.throws(
    () => decodeMessage('{"uid":"a","nsp":"/","type":9,"data":{"packet":[{"_b64":"**"}]}}'),
    SyntaxError,
  );
  assert.throws(() => decodeMessage("[".repeat(5000) + "]".repeat(5000)), SyntaxError);
});

Deno.test("checkMessage() fills in what socket.io-adapter leaves out", () => {
  const message = checkMessage({
    uid: "a",
    nsp: "/",
    type: MessageType.SOCKETS_JOIN,
    data: { opts: { rooms: ["r"] }, rooms: ["s"] },
  });
  assert.deepEqual(message.data, { opts: { rooms: ["r"], except: [], flags: {} }, rooms: ["s"] });
});
