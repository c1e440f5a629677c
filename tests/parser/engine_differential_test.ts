// Differential tests: random Engine.IO packets encoded by ours decode identically with the
// official engine.io-parser (5.2.3 for v4, 2.2.1 for v3), and the other way round.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import * as official from "engine.io-parser";
import { engineIoParserV3 as officialV3 } from "../legacy/mod.ts";
import {
  decodePacket,
  decodePacketV3,
  decodePayload,
  decodePayloadV3,
  encodePacket,
  encodePacketV3,
  encodePayload,
  encodePayloadV3,
  type EnginePacket,
  type EnginePacketType,
} from "../../parser/mod.ts";
import { normalize } from "./_normalize.ts";

const RUNS = { numRuns: 1000 };
const TYPES: EnginePacketType[] = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];

// Text without lone surrogates (no UTF-8 body could carry those across a real wire), and never
// empty: on the wire empty data and no data are the same packet.
const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 64 });
const textPacket: fc.Arbitrary<EnginePacket> = fc.record(
  { type: fc.constantFrom(...TYPES), data: text },
  { requiredKeys: ["type"] },
);
const binaryPacket: fc.Arbitrary<EnginePacket> = bytes.map((data) => ({ type: "message", data }));
const packet = fc.oneof(textPacket, binaryPacket);

type Encoded = string | Uint8Array;
interface OfficialV4 {
  encodePacket(p: EnginePacket, binary: boolean, cb: (e: Encoded) => void): void;
  decodePacket(data: Encoded, binaryType?: string): EnginePacket;
  encodePayload(p: EnginePacket[], cb: (e: string) => void): void;
  decodePayload(data: string, binaryType?: string): EnginePacket[];
}
interface OfficialV3 {
  encodePacket(p: EnginePacket, binary: boolean, utf8: boolean, cb: (e: Encoded) => void): void;
  decodePacket(data: Encoded, binaryType?: string, utf8?: boolean): EnginePacket;
  encodePayload(p: EnginePacket[], binary: boolean, cb: (e: Encoded) => void): void;
  decodePayload(data: Encoded, cb: (p: EnginePacket, i: number, n: number) => void): void;
}
const v4 = official as unknown as OfficialV4;
const v3 = officialV3 as unknown as OfficialV3;

function sync<T>(run: (cb: (value: T) => void) => void): T {
  let out: T | undefined;
  let done = false;
  run((value) => {
    out = value;
    done = true;
  });
  assert.ok(done, "the official encoder answered synchronously");
  return out as T;
}

function v3DecodePayload(data: Encoded): EnginePacket[] {
  const packets: EnginePacket[] = [];
  v3.decodePayload(data, (p) => {
    packets.push(p);
  });
  return packets;
}

// engine.io-parser 2 only takes Node Buffers for binary (its hasBinary ignores other views),
// and a Node server only ever hands it Buffers.
const asNode = (packets: EnginePacket[]): EnginePacket[] =>
  packets.map((p) => p.data instanceof Uint8Array ? { ...p, data: Buffer.from(p.data) } : p);

const asBytes = (frame: unknown): Encoded =>
  typeof frame === "string" ? frame : new Uint8Array(normalize(frame) as Uint8Array);

Deno.test("v4 packets: ours and engine.io-parser 5.2.3 encode identically and read each other", () => {
  fc.assert(
    fc.property(packet, fc.boolean(), (p, supportsBinary) => {
      const ours = encodePacket(p, supportsBinary) as Encoded;
      const theirs = sync<Encoded>((cb) => v4.encodePacket(p, supportsBinary, cb));
      assert.deepEqual(normalize(ours), normalize(theirs));
      assert.deepEqual(normalize(v4.decodePacket(ours)), normalize(p));
      assert.deepEqual(normalize(decodePacket(asBytes(theirs))), normalize(p));
    }),
    RUNS,
  );
});

Deno.test("v4 payloads: ours and engine.io-parser 5.2.3 encode identically and read each other", () => {
  fc.assert(
    fc.property(fc.array(packet, { minLength: 1, maxLength: 8 }), (packets) => {
      const ours = encodePayload(packets);
      const theirs = sync<string>((cb) => v4.encodePayload(packets, cb));
      assert.equal(ours, theirs);
      assert.deepEqual(normalize(v4.decodePayload(ours)), normalize(packets));
      assert.deepEqual(normalize(decodePayload(theirs)), normalize(packets));
    }),
    RUNS,
  );
});

Deno.test("v3 packets: ours and engine.io-parser 2.2.1 encode identically and read each other", () => {
  fc.assert(
    fc.property(packet, fc.boolean(), (p, supportsBinary) => {
      const ours = encodePacketV3(p, supportsBinary);
      const theirs = sync<Encoded>((cb) => v3.encodePacket(p, supportsBinary, false, cb));
      assert.deepEqual(normalize(ours), normalize(theirs));
      assert.deepEqual(normalize(v3.decodePacket(ours)), normalize(p));
      assert.deepEqual(normalize(decodePacketV3(asBytes(theirs))), normalize(p));
    }),
    RUNS,
  );
});

Deno.test("v3 payloads: ours and engine.io-parser 2.2.1 agree on text, b64 and binary bodies", () => {
  fc.assert(
    fc.property(
      fc.array(packet, { maxLength: 8 }),
      fc.boolean(),
      (packets, supportsBinary) => {
        const ours = encodePayloadV3(packets, supportsBinary);
        const theirs = sync<Encoded>((cb) => v3.encodePayload(asNode(packets), supportsBinary, cb));
        assert.deepEqual(normalize(ours), normalize(theirs));
        assert.deepEqual(normalize(decodePayloadV3(asBytes(theirs))), normalize(packets));
        if (packets.length > 0) {
          assert.deepEqual(normalize(v3DecodePayload(ours)), normalize(packets));
        }
      },
    ),
    RUNS,
  );
});
