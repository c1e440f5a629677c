import assert from "node:assert/strict";
import {
  decodePacketV3,
  decodePayloadV3,
  encodePacketV3,
  encodePayloadV3,
  type EnginePacket,
} from "../../parser/mod.ts";

const BYTES = new Uint8Array([1, 2, 3, 4]);

Deno.test("encodePacketV3() puts the type byte before binary data, or b<type><base64>", () => {
  assert.deepEqual(
    encodePacketV3({ type: "message", data: BYTES }),
    new Uint8Array([4, 1, 2, 3, 4]),
  );
  assert.equal(encodePacketV3({ type: "message", data: BYTES }, false), "b4AQIDBA==");
  assert.equal(encodePacketV3({ type: "ping", data: "probe" }), "2probe");
  assert.equal(encodePacketV3({ type: "noop" }), "6");
});

Deno.test("decodePacketV3() reads text, base64 and binary frames", () => {
  assert.deepEqual(decodePacketV3("4hello"), { type: "message", data: "hello" });
  assert.deepEqual(decodePacketV3("3"), { type: "pong" });
  assert.deepEqual(decodePacketV3("b4AQIDBA=="), { type: "message", data: BYTES });
  assert.deepEqual(decodePacketV3(new Uint8Array([4, 1, 2, 3, 4])), {
    type: "message",
    data: BYTES,
  });
  const ab = decodePacketV3(new Uint8Array([4, 1, 2, 3, 4]).buffer, "arraybuffer").data;
  assert.ok(ab instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(ab), BYTES);
});

Deno.test("encodePayloadV3() frames text with lengths in UTF-16 code units", () => {
  // The protocol description's examples: "6:4hello2:4€", and an emoji counting two units.
  assert.equal(
    encodePayloadV3([{ type: "message", data: "hello" }, { type: "message", data: "€" }]),
    "6:4hello2:4€",
  );
  assert.equal(encodePayloadV3([{ type: "message", data: "😀" }]), "3:4😀");
  assert.equal(encodePayloadV3([]), "0:");
  // Binary without XHR2 support (b64=1) goes as base64 inside the text framing.
  assert.equal(
    encodePayloadV3([{ type: "message", data: "hello" }, { type: "message", data: BYTES }], false),
    "6:4hello10:b4AQIDBA==",
  );
});

Deno.test("encodePayloadV3() uses the binary framing for binary packets when the client reads it", () => {
  const body = encodePayloadV3(
    [{ type: "message", data: "€" }, { type: "message", data: BYTES }],
    true,
  );
  // "4€" is 4 UTF-8 bytes; the binary packet is 5 bytes (type byte + 4).
  assert.deepEqual(
    body,
    new Uint8Array([0, 4, 255, 52, 0xe2, 0x82, 0xac, 1, 5, 255, 4, 1, 2, 3, 4]),
  );
  assert.deepEqual(decodePayloadV3(body), [
    { type: "message", data: "€" },
    { type: "message", data: BYTES },
  ]);
  // With no binary packet the text framing is kept even for XHR2 clients.
  assert.equal(encodePayloadV3([{ type: "message", data: "a" }], true), "2:4a");
});

Deno.test("decodePayloadV3() reads text payloads, skipping empty packets", () => {
  const expected: EnginePacket[] = [
    { type: "message", data: "hello" },
    { type: "message", data: "€" },
  ];
  assert.deepEqual(decodePayloadV3("6:4hello2:4€"), expected);
  assert.deepEqual(decodePayloadV3("0:"), []);
  assert.deepEqual(decodePayloadV3("6:4hello10:b4AQIDBA=="), [
    { type: "message", data: "hello" },
    { type: "message", data: BYTES },
  ]);
});

Deno.test("decodePayloadV3() throws SyntaxError on hostile text payloads", () => {
  const bodies = [
    "", // empty
    "6:4hell", // truncated
    "99999999999999999999:4a", // absurd length
    "x:4a", // not a number
    ":4a", // no length
    "2:4a3", // trailing length without colon
    "2:9a", // unknown packet type
    "-1:4", // negative
    "1e1:4aaaaaaaaa", // exponent
  ];
  for (const body of bodies) {
    assert.throws(() => decodePayloadV3(body), SyntaxError, `body ${JSON.stringify(body)}`);
  }
});

Deno.test("decodePayloadV3() throws SyntaxError on hostile binary payloads", () => {
  const bodies = [
    [2, 1, 255, 52], // bad marker
    [0, 9, 255, 52], // truncated
    [0, 1], // no 255 terminator
    [0, 255, 52], // no length digits
    [0, 12, 255, 52], // digit byte > 9
    [0, ...new Array(40).fill(9), 255, 52], // absurd length
    [1, 0, 255], // empty binary packet
    [1, 1, 255, 9], // unknown type byte
  ];
  for (const body of bodies) {
    assert.throws(() => decodePayloadV3(new Uint8Array(body)), SyntaxError, `body ${body}`);
  }
});

Deno.test("decodePacketV3() throws SyntaxError on unknown types and empty frames", () => {
  for (const frame of ["", "7", "b9AQ==", "b", "b4***"]) {
    assert.throws(() => decodePacketV3(frame), SyntaxError, `frame ${JSON.stringify(frame)}`);
  }
  assert.throws(() => decodePacketV3(new Uint8Array(0)), SyntaxError);
  assert.throws(() => decodePacketV3(new Uint8Array([200])), SyntaxError);
});
