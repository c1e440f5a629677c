// Parser benchmarks: edgeio's Engine.IO v4 / Socket.IO v5 parsers against the official npm
// parsers (socket.io-parser 4.2.7, engine.io-parser 5.2.3), row by row, as socket.io would
// use them on a server. Each row is one `group` with the official parsers as the baseline, so
// `deno bench` prints how many times faster (or slower) ours is.
//
//   deno bench --allow-read --allow-env bench/parser_bench.ts
//
// Every row is asserted once below, before any bench runs, to give equal wire output (encode)
// or equal decoded values (decode) on both sides, so a row can never compare different work.
// Results are accumulated into `sink` so nothing can be optimised away.
import assert from "node:assert/strict";
import * as officialEngineModule from "engine.io-parser";
import * as officialSocketModule from "socket.io-parser";
import {
  decodePacket,
  decodePayload,
  Decoder,
  encodePacket,
  encodePayload,
  Encoder,
  type EnginePacket,
  type Packet,
  PacketType,
} from "../parser/mod.ts";

// ---------------------------------------------------------------------------------------------
// The official parsers, typed locally (their own typings use `any` for data and frames).

type Frame = string | ArrayBuffer | ArrayBufferView;
type OfficialBinaryType = "nodebuffer" | "arraybuffer";

interface OfficialEngine {
  encodePacket(packet: EnginePacket, supportsBinary: boolean, callback: (f: Frame) => void): void;
  decodePacket(frame: Frame, binaryType?: OfficialBinaryType): EnginePacket;
  encodePayload(packets: EnginePacket[], callback: (payload: string) => void): void;
  decodePayload(payload: string, binaryType?: OfficialBinaryType): EnginePacket[];
}
interface OfficialEncoder {
  encode(packet: Packet): Frame[];
}
interface OfficialDecoder {
  add(frame: Frame): void;
  on(event: "decoded", listener: (packet: Packet) => void): unknown;
}
type Constructor<T> = new () => T;

const officialEngine = officialEngineModule as unknown as OfficialEngine;
const OfficialEncoderClass = officialSocketModule.Encoder as unknown as Constructor<
  OfficialEncoder
>;
const OfficialDecoderClass = officialSocketModule.Decoder as unknown as Constructor<
  OfficialDecoder
>;

// The official encoders answer through callbacks, synchronously. One module-level callback per
// result (rather than a closure per call) keeps their side as cheap as it can be. The result is
// reset before each call, so an answer that did not come synchronously fails the checks below.
let officialFrame: Frame | undefined;
const takeFrame = (frame: Frame): void => {
  officialFrame = frame;
};
let officialPayload: string | undefined;
const takePayload = (payload: string): void => {
  officialPayload = payload;
};

function officialEncodePacket(packet: EnginePacket, supportsBinary: boolean): Frame {
  officialFrame = undefined;
  officialEngine.encodePacket(packet, supportsBinary, takeFrame);
  return officialFrame as unknown as Frame;
}

function officialEncodePayload(packets: EnginePacket[]): string {
  officialPayload = undefined;
  officialEngine.encodePayload(packets, takePayload);
  return officialPayload as unknown as string;
}

// ---------------------------------------------------------------------------------------------
// Shared state: one encoder and one decoder per side, as one socket.io connection has. Both
// decoders report through their "decoded" event, the interface socket.io itself uses.

const oursEncoder = new Encoder();
const officialEncoder = new OfficialEncoderClass();

let oursDecoded: Packet | undefined;
const oursDecoder = new Decoder();
oursDecoder.on("decoded", (packet) => {
  oursDecoded = packet;
});
let officialDecoded: Packet | undefined;
const officialDecoder = new OfficialDecoderClass();
officialDecoder.on("decoded", (packet) => {
  officialDecoded = packet;
});

/** Everything each bench computes ends up here, so no work can be dropped as dead. */
let sink = 0;

function frameLength(frame: Frame): number {
  return typeof frame === "string" ? frame.length : frame.byteLength;
}

function dataLength(packet: Packet | undefined): number {
  const data = packet?.data;
  return Array.isArray(data) ? data.length : 0;
}

// ---------------------------------------------------------------------------------------------
// Inputs.

const SMALL: Packet = { type: PacketType.EVENT, nsp: "/", data: ["message", "hello world", 42] };
const SMALL_FRAME = '42["message","hello world",42]';

/** A deterministic ~1 KB nested object of strings, numbers, booleans and arrays. */
function buildObject(): Record<string, unknown> {
  const items: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 6; i++) {
    items.push({
      id: 1000 + i,
      sku: `SKU-${(i * 7919).toString(16).padStart(6, "0")}`,
      title: `Item number ${i}`,
      price: Math.round((i + 1) * 12.345 * 100) / 100,
      inStock: i % 3 !== 0,
      tags: ["tag-" + i, "tag-" + (i + 1) * 2],
      dims: [i + 1, (i + 1) * 2, (i + 1) * 3],
    });
  }
  return {
    user: {
      id: 42,
      name: "Ada Lovelace",
      email: "ada@example.com",
      admin: false,
      roles: ["reader", "writer"],
      address: { street: "12 Analytical Lane", city: "London", zip: "N1 9GU" },
    },
    items,
    total: 519.49,
    currency: "EUR",
    createdAt: "2024-05-01T12:34:56.000Z",
    flags: { express: true, gift: false, notes: null },
  };
}
const OBJECT: Packet = { type: PacketType.EVENT, nsp: "/", data: ["update", buildObject()] };
const OBJECT_FRAME = "42" + JSON.stringify(OBJECT.data);

const BODY = new Uint8Array(1024);
for (let i = 0; i < BODY.length; i++) BODY[i] = (i * 31 + 7) & 255;
const BINARY: Packet = {
  type: PacketType.EVENT,
  nsp: "/",
  data: ["file", { name: "a.bin", body: BODY }],
};
const BINARY_TEXT_FRAME = '451-["file",{"name":"a.bin","body":{"_placeholder":true,"num":0}}]';
// What a WebSocket with binaryType "arraybuffer" delivers; both sides decode with that type,
// so neither copies (the official default, "nodebuffer", would copy a non-Buffer input).
const BINARY_FRAME: ArrayBuffer = BODY.slice().buffer;

const PAYLOAD_PACKETS: EnginePacket[] = [];
for (let i = 0; i < 10; i++) {
  PAYLOAD_PACKETS.push({ type: "message", data: `2["message","hello world",${i}]` });
}
const PAYLOAD = PAYLOAD_PACKETS.map((p) => "4" + p.data).join("\x1e");

// ---------------------------------------------------------------------------------------------
// The work of each row, one function per side. The benches and the checks call the same ones.

function oursEncodeText(packet: Packet): string {
  const frames = oursEncoder.encode(packet);
  return encodePacket({ type: "message", data: frames[0] as string }, true) as string;
}
function officialEncodeText(packet: Packet): string {
  const frames = officialEncoder.encode(packet);
  return officialEncodePacket({ type: "message", data: frames[0] as string }, true) as string;
}

function oursDecodeText(frame: string): Packet | undefined {
  oursDecoded = undefined;
  oursDecoder.add(decodePacket(frame).data as string);
  return oursDecoded;
}
function officialDecodeText(frame: string): Packet | undefined {
  officialDecoded = undefined;
  officialDecoder.add(officialEngine.decodePacket(frame).data as string);
  return officialDecoded;
}

function oursEncodeBinary(packet: Packet): Frame[] {
  const frames = oursEncoder.encode(packet);
  const out: Frame[] = [];
  for (const data of frames) out.push(encodePacket({ type: "message", data }, true) as Frame);
  return out;
}
function officialEncodeBinary(packet: Packet): Frame[] {
  const frames = officialEncoder.encode(packet);
  const out: Frame[] = [];
  for (const data of frames) out.push(officialEncodePacket({ type: "message", data }, true));
  return out;
}

function oursDecodeBinary(text: string, binary: ArrayBuffer): Packet | undefined {
  oursDecoded = undefined;
  oursDecoder.add(decodePacket(text).data as string);
  oursDecoder.add(decodePacket(binary, "arraybuffer").data as ArrayBuffer);
  return oursDecoded;
}
function officialDecodeBinary(text: string, binary: ArrayBuffer): Packet | undefined {
  officialDecoded = undefined;
  officialDecoder.add(officialEngine.decodePacket(text).data as string);
  officialDecoder.add(officialEngine.decodePacket(binary, "arraybuffer").data as ArrayBuffer);
  return officialDecoded;
}

function payloadLength(packets: EnginePacket[]): number {
  let n = 0;
  for (let i = 0; i < packets.length; i++) n += (packets[i]!.data as string).length;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Checks: both sides do the same work and agree, row by row.

// 1, 2: small event.
assert.equal(oursEncodeText(SMALL), SMALL_FRAME);
assert.equal(officialEncodeText(SMALL), SMALL_FRAME);
assert.deepEqual(oursDecodeText(SMALL_FRAME), SMALL);
assert.deepEqual(officialDecodeText(SMALL_FRAME), SMALL);

// 3, 4: 1 KB object event.
assert.ok(
  OBJECT_FRAME.length >= 900 && OBJECT_FRAME.length <= 1200,
  `object frame is ~1 KB (${OBJECT_FRAME.length})`,
);
assert.equal(oursEncodeText(OBJECT), OBJECT_FRAME);
assert.equal(officialEncodeText(OBJECT), OBJECT_FRAME);
assert.deepEqual(oursDecodeText(OBJECT_FRAME), OBJECT);
assert.deepEqual(officialDecodeText(OBJECT_FRAME), OBJECT);

// 5, 6: event with one binary attachment.
{
  const ours = oursEncodeBinary(BINARY);
  const official = officialEncodeBinary(BINARY);
  assert.deepEqual(ours, [BINARY_TEXT_FRAME, BODY]);
  assert.deepEqual(official, [BINARY_TEXT_FRAME, BODY]);
  assert.equal(ours[1], BODY, "ours sends the bytes without copying");
  assert.equal(official[1], BODY, "official sends the bytes without copying");

  const expected = { type: PacketType.EVENT, nsp: "/", data: ["file", { name: "a.bin", body: 0 }] };
  const oursPacket = oursDecodeBinary(BINARY_TEXT_FRAME, BINARY_FRAME);
  const officialPacket = officialDecodeBinary(BINARY_TEXT_FRAME, BINARY_FRAME);
  for (const packet of [oursPacket, officialPacket]) {
    assert.ok(packet !== undefined);
    const [name, file] = packet.data as [string, { name: string; body: unknown }];
    assert.equal(file.body, BINARY_FRAME, "the attachment is the received buffer, not a copy");
    assert.deepEqual({ ...packet, data: [name, { ...file, body: 0 }] }, expected);
  }
  assert.deepEqual(oursPacket, officialPacket);
}

// 7, 8: polling payload of 10 messages.
assert.equal(encodePayload(PAYLOAD_PACKETS), PAYLOAD);
assert.equal(officialEncodePayload(PAYLOAD_PACKETS), PAYLOAD);
assert.deepEqual(decodePayload(PAYLOAD), PAYLOAD_PACKETS);
assert.deepEqual(officialEngine.decodePayload(PAYLOAD), PAYLOAD_PACKETS);

// ---------------------------------------------------------------------------------------------
// Benches.

const OURS = "edgeio";
const OFFICIAL = "socket.io-parser + engine.io-parser";

function row(group: string, ours: () => void, official: () => void): void {
  Deno.bench({ name: OURS, group, baseline: false, fn: ours });
  Deno.bench({ name: OFFICIAL, group, baseline: true, fn: official });
}

row(
  "1. encode small event",
  () => {
    sink += oursEncodeText(SMALL).length;
  },
  () => {
    sink += officialEncodeText(SMALL).length;
  },
);

row(
  "2. decode small event",
  () => {
    sink += dataLength(oursDecodeText(SMALL_FRAME));
  },
  () => {
    sink += dataLength(officialDecodeText(SMALL_FRAME));
  },
);

row(
  "3. encode 1 KB object event",
  () => {
    sink += oursEncodeText(OBJECT).length;
  },
  () => {
    sink += officialEncodeText(OBJECT).length;
  },
);

row(
  "4. decode 1 KB object event",
  () => {
    sink += dataLength(oursDecodeText(OBJECT_FRAME));
  },
  () => {
    sink += dataLength(officialDecodeText(OBJECT_FRAME));
  },
);

row(
  "5. encode event + 1 KB binary attachment",
  () => {
    const frames = oursEncodeBinary(BINARY);
    sink += frameLength(frames[0]!) + frameLength(frames[1]!);
  },
  () => {
    const frames = officialEncodeBinary(BINARY);
    sink += frameLength(frames[0]!) + frameLength(frames[1]!);
  },
);

row(
  "6. decode event + 1 KB binary attachment",
  () => {
    sink += dataLength(oursDecodeBinary(BINARY_TEXT_FRAME, BINARY_FRAME));
  },
  () => {
    sink += dataLength(officialDecodeBinary(BINARY_TEXT_FRAME, BINARY_FRAME));
  },
);

row(
  "7. encode polling payload (10 messages)",
  () => {
    sink += encodePayload(PAYLOAD_PACKETS).length;
  },
  () => {
    sink += officialEncodePayload(PAYLOAD_PACKETS).length;
  },
);

row(
  "8. decode polling payload (10 messages)",
  () => {
    sink += payloadLength(decodePayload(PAYLOAD));
  },
  () => {
    sink += payloadLength(officialEngine.decodePayload(PAYLOAD));
  },
);

// The sink is read once at the end, so its value is observable and must be computed.
globalThis.addEventListener("unload", () => {
  if (sink < 0) throw new Error("unreachable: the sink only grows");
});
