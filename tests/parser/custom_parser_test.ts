// socket.io's `parser` option takes any { Encoder, Decoder } pair. edgeio's parser and the npm
// socket.io-msgpack-parser both fit SocketParser unchanged, and the same code drives both.
import assert from "node:assert/strict";
import msgpackParser from "socket.io-msgpack-parser";
import * as edgeioParser from "../../parser/mod.ts";
import { encodeFrames, type Packet, PacketType, type SocketParser } from "../../parser/mod.ts";
import { normalize } from "./_normalize.ts";

// The assignments are the type-level proof: they fail `deno check` if either stops fitting.
const PARSERS: Array<[string, SocketParser]> = [
  ["edgeio", edgeioParser],
  ["socket.io-msgpack-parser", msgpackParser],
];

function roundTrip(parser: SocketParser, packet: Packet): { frames: unknown[]; decoded: Packet[] } {
  const frames = encodeFrames(new parser.Encoder(), packet);
  const decoder = new parser.Decoder();
  const decoded: Packet[] = [];
  decoder.on("decoded", (p) => decoded.push(p));
  for (const frame of frames) decoder.add(frame as string | Uint8Array);
  decoder.destroy();
  return { frames, decoded };
}

const bytes = new Uint8Array([1, 2, 3]);
const PACKETS: Packet[] = [
  { type: PacketType.CONNECT, nsp: "/admin", data: { token: "abc" } },
  { type: PacketType.EVENT, nsp: "/", data: ["chat", { text: "hi", n: 1 }] },
  { type: PacketType.EVENT, nsp: "/", id: 7, data: ["upload", { name: "a.bin", body: bytes }] },
  { type: PacketType.ACK, nsp: "/admin", id: 7, data: [true] },
  { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "Not authorized" } },
];

for (const [name, parser] of PARSERS) {
  Deno.test(`SocketParser ${name} round-trips packets through the same driving code`, () => {
    for (const packet of PACKETS) {
      const { decoded } = roundTrip(parser, packet);
      assert.equal(decoded.length, 1, `${name}: one packet decoded`);
      assert.deepEqual(
        normalize(decoded[0]),
        normalize(packet),
        `${name}: ${JSON.stringify(packet.data)}`,
      );
    }
  });
}

Deno.test("SocketParser socket.io-msgpack-parser sends binary in one frame, edgeio as attachments", () => {
  const packet = PACKETS[2]!;
  assert.equal(roundTrip(msgpackParser, packet).frames.length, 1);
  assert.equal(roundTrip(edgeioParser, packet).frames.length, 2);
});

Deno.test("SocketParser decoders of both reject a garbage frame with an error", () => {
  assert.throws(() => new edgeioParser.Decoder().add("9garbage"), SyntaxError);
  assert.throws(() => new msgpackParser.Decoder().add(new Uint8Array([0xc1])), Error);
});
