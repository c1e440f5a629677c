// Differential tests: random Socket.IO packets, binary included, encoded by ours decode
// identically with the official socket.io-parser (4.2.7 for protocol v5, 3.4.3 for v4), the
// official encoders produce the same frames, and ours decode what they produce.
import assert from "node:assert/strict";
import fc from "fast-check";
import * as official from "socket.io-parser";
import { socketIoParserV3 as officialV3 } from "../legacy/mod.ts";
import { Decoder, Encoder, type Packet, PacketType, RESERVED_EVENTS } from "../../parser/mod.ts";
import { normalize } from "./_normalize.ts";

const RUNS = { numRuns: 1000 };
const { CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK } = PacketType;

const key = fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__");
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
);
const primitive = fc.oneof(fc.string({ maxLength: 12 }), number, fc.boolean(), fc.constant(null));
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    primitive,
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(key, tie("json"), { maxKeys: 4 }),
  ),
}));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    primitive,
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
}));
const nsp = fc.oneof(fc.constant("/"), fc.stringMatching(/^\/[a-z0-9-]{1,10}$/));
const ackId = fc.nat({ max: 1e9 });
const eventName = fc.oneof(
  fc.string({ maxLength: 12 }).filter((n) => !RESERVED_EVENTS.has(n)),
  fc.nat(),
);

const packet: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ type: fc.constant(CONNECT), nsp, data: fc.dictionary(key, json, { maxKeys: 3 }) }, {
    requiredKeys: ["type", "nsp"],
  }),
  fc.record({ type: fc.constant(DISCONNECT), nsp }),
  fc.record(
    {
      type: fc.constant(EVENT),
      nsp,
      id: ackId,
      data: fc.tuple(eventName, fc.array(value, { maxLength: 4 })).map(([n, a]) => [n, ...a]),
    },
    { requiredKeys: ["type", "nsp", "data"] },
  ),
  fc.record({ type: fc.constant(ACK), nsp, id: ackId, data: fc.array(value, { maxLength: 4 }) }),
  fc.record({
    type: fc.constant(CONNECT_ERROR),
    nsp,
    data: fc.record({ message: fc.string({ maxLength: 20 }), data: json }, {
      requiredKeys: ["message"],
    }),
  }),
);

type Frame = string | Uint8Array;
interface OfficialDecoder {
  add(frame: Frame): void;
  on(event: "decoded", fn: (p: Packet) => void): void;
}
interface OfficialV5 {
  Encoder: new () => { encode(p: Packet): Frame[] };
  Decoder: new (opts?: { maxAttachments: number }) => OfficialDecoder;
}
interface OfficialV4 {
  Encoder: new () => { encode(p: Packet, cb: (frames: Frame[]) => void): void };
  Decoder: new () => OfficialDecoder;
}
const v5 = official as unknown as OfficialV5;
const v4 = officialV3 as unknown as OfficialV4;

function decodeWith(decoder: OfficialDecoder, frames: Frame[]): Packet {
  const seen: Packet[] = [];
  decoder.on("decoded", (p) => seen.push(p));
  for (const frame of frames) decoder.add(frame);
  assert.equal(seen.length, 1, "the official decoder completed one packet");
  return seen[0]!;
}

function decodeOurs(frames: Frame[], protocol: 4 | 5): Packet {
  const decoder = new Decoder({ protocol, maxAttachments: 1000 });
  let packet: Packet | undefined;
  frames.forEach((frame, i) => {
    packet = decoder.add(frame);
    assert.equal(packet === undefined, i < frames.length - 1, "only the last frame completes");
  });
  return packet!;
}

const bytesOf = (frames: unknown[]): Frame[] =>
  frames.map((f) => (typeof f === "string" ? f : normalize(f) as Uint8Array));

Deno.test("v5: ours and socket.io-parser 4.2.7 encode identically and decode each other", () => {
  fc.assert(
    fc.property(packet, (p) => {
      const expected = normalize(structuredClone(p));
      const ours = bytesOf(new Encoder().encode(p));
      const theirs = bytesOf(new v5.Encoder().encode(structuredClone(p)));
      assert.deepEqual(ours, theirs);
      assert.deepEqual(
        normalize(decodeWith(new v5.Decoder({ maxAttachments: 1000 }), ours)),
        expected,
      );
      assert.deepEqual(normalize(decodeOurs(theirs, 5)), expected);
    }),
    RUNS,
  );
});

Deno.test("v4: ours and socket.io-parser 3.4.3 encode identically and decode each other", () => {
  fc.assert(
    fc.property(packet, (p) => {
      const expected = normalize(structuredClone(p));
      const ours = bytesOf(new Encoder().encode(p));
      // socket.io-parser 3 leaves choosing BINARY_EVENT/BINARY_ACK to its caller.
      const binary = ours.length > 1;
      const input = structuredClone(p);
      if (binary) input.type = input.type === EVENT ? BINARY_EVENT : BINARY_ACK;
      let theirs: Frame[] = [];
      new v4.Encoder().encode(input, (frames) => theirs = bytesOf(frames));
      assert.deepEqual(ours, theirs);
      const decoded = normalize(decodeWith(new v4.Decoder(), ours)) as Packet;
      // socket.io-parser 3 keeps the BINARY_* type and an attachments field after reassembly.
      if (binary) {
        decoded.type = decoded.type === BINARY_EVENT ? EVENT : ACK;
        delete decoded.attachments;
      }
      assert.deepEqual(decoded, expected);
      assert.deepEqual(normalize(decodeOurs(theirs, 4)), expected);
    }),
    RUNS,
  );
});
