import assert from "node:assert/strict";
import {
  decodePacket,
  decodePayload,
  encodePacket,
  encodePayload,
  type EnginePacket,
} from "../../parser/mod.ts";

// Vectors from the Engine.IO v4 protocol description (docs/engine.io-protocol).
const PACKET_VECTORS: Array<[EnginePacket, string]> = [
  [{ type: "open", data: '{"sid":"lv_VI97HAXpY6yYWAAAC"}' }, '0{"sid":"lv_VI97HAXpY6yYWAAAC"}'],
  [{ type: "close" }, "1"],
  [{ type: "ping" }, "2"],
  [{ type: "ping", data: "probe" }, "2probe"],
  [{ type: "pong", data: "probe" }, "3probe"],
  [{ type: "message", data: "hello" }, "4hello"],
  [{ type: "message", data: "€" }, "4€"],
  [{ type: "upgrade" }, "5"],
  [{ type: "noop" }, "6"],
];

Deno.test("encodePacket() and decodePacket() follow the v4 text vectors", () => {
  for (const [packet, frame] of PACKET_VECTORS) {
    assert.equal(encodePacket(packet), frame);
    assert.deepEqual(decodePacket(frame), packet);
  }
});

Deno.test("encodePacket() keeps binary as binary over WebSocket and as b64 over polling", () => {
  const bytes = new Uint8Array([1, 2, 3, 4]);
  assert.equal(encodePacket({ type: "message", data: bytes }, true), bytes);
  assert.equal(encodePacket({ type: "message", data: bytes }, false), "bAQIDBA==");
  const view = new DataView(new Uint8Array([9, 1, 2, 3, 4, 9]).buffer, 1, 4);
  assert.equal(encodePacket({ type: "message", data: view }, false), "bAQIDBA==");
});

Deno.test("decodePacket() gives binary frames in the requested form", () => {
  const frame = new Uint8Array([1, 2, 3, 4]);
  assert.deepEqual(decodePacket(frame), { type: "message", data: frame });
  const asBuffer = decodePacket(frame, "arraybuffer").data;
  assert.ok(asBuffer instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(asBuffer), frame);
  const fromB64 = decodePacket("bAQIDBA==", "arraybuffer").data;
  assert.ok(fromB64 instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(fromB64), frame);
  // A view over part of a larger buffer is copied, never exposing the neighbours.
  const partial = new Uint8Array([7, 1, 2, 7]).subarray(1, 3);
  assert.deepEqual(
    new Uint8Array(decodePacket(partial, "arraybuffer").data as ArrayBuffer),
    new Uint8Array([1, 2]),
  );
});

Deno.test("encodePayload() and decodePayload() follow the v4 payload vectors", () => {
  const packets: EnginePacket[] = [{ type: "message", data: "hello" }, {
    type: "message",
    data: "€",
  }];
  assert.equal(encodePayload(packets), "4hello\x1e4€");
  assert.deepEqual(decodePayload("4hello\x1e4€"), packets);
  const mixed: EnginePacket[] = [
    { type: "message", data: "hello" },
    { type: "message", data: new Uint8Array([1, 2, 3, 4]) },
  ];
  assert.equal(encodePayload(mixed), "4hello\x1ebAQIDBA==");
  assert.deepEqual(decodePayload("4hello\x1ebAQIDBA=="), mixed);
  assert.equal(encodePayload([]), "");
});

Deno.test("encodePacket() refuses binary on a non-message packet and a Blob as base64", () => {
  assert.throws(() => encodePacket({ type: "ping", data: new Uint8Array(1) }), TypeError);
  assert.throws(() => encodePacket({ type: "message", data: new Blob(["x"]) }, false), TypeError);
  const blob = new Blob(["x"]);
  assert.equal(encodePacket({ type: "message", data: blob }, true), blob);
});

Deno.test("decodePacket() throws SyntaxError on unknown types and bad base64", () => {
  for (const frame of ["", "7", "9hello", "x", "-1", "b***", "b\u00e9"]) {
    assert.throws(() => decodePacket(frame), SyntaxError, `frame ${JSON.stringify(frame)}`);
  }
});

Deno.test("decodePayload() throws SyntaxError when any packet is invalid", () => {
  for (const body of ["", "4a\x1e", "4a\x1e9", "\x1e4a", "4a\x1eb!!"]) {
    assert.throws(() => decodePayload(body), SyntaxError, `body ${JSON.stringify(body)}`);
  }
});
