// The bounds of a WebSocket relay: frames kept before a listener attaches, frames handed to the
// cluster and not yet sent, frames kept before the client's socket opens; past each, the relay
// closes on both sides with an error (code 1011) instead of growing.
import assert from "node:assert/strict";
import {
  MAX_IN_FLIGHT_BYTES,
  MAX_IN_FLIGHT_FRAMES,
  MAX_QUEUED_FRAMES,
  type RelayLink,
  Relays,
} from "../../adapter/_cluster_relays.ts";
import {
  MAX_FRAME,
  PART_BYTES,
  PART_UNITS,
  Reassembly,
  splitFrame,
} from "../../adapter/_cluster_relay_parts.ts";
import type { Outgoing } from "../../adapter/_cluster_remote.ts";
import { MessageType } from "../../adapter/mod.ts";
import { clientRelay } from "../../server/_ws_relay.ts";

interface Sent {
  peer: string;
  body: Outgoing;
}

function relays(settle = true): { relays: Relays; sent: Sent[] } {
  const sent: Sent[] = [];
  const send = (peer: string, body: Outgoing) => {
    sent.push({ peer, body });
    return settle ? Promise.resolve() : new Promise<void>(() => {});
  };
  return { relays: new Relays(send), sent };
}

function frame(relayId: string, seq: number, data: string | Uint8Array = `4${seq}`) {
  return {
    uid: "peer",
    nsp: "/",
    type: MessageType.RELAY_FRAME as const,
    data: { relayId, target: "me", seq, frame: data },
  };
}

function closes(sent: Sent[]): unknown[] {
  return sent.filter((s) => s.body.type === MessageType.RELAY_CLOSE).map((s) => s.body.data);
}

Deno.test("a relay keeps frames until its listener attaches, in order, and fails past MAX_QUEUED_FRAMES", () => {
  const { relays: r, sent } = relays();
  const link = r.open("r1", "peer");
  r.receive(frame("r1", 0));
  r.receive(frame("r1", 1, new Uint8Array([1, 2])));
  const got: unknown[] = [];
  link.attach({ frame: (data) => got.push(data), closed: (...args) => got.push(args) });
  assert.deepEqual(got, ["40", new Uint8Array([1, 2])]);

  const flooded = r.open("r2", "peer");
  for (let seq = 0; seq <= MAX_QUEUED_FRAMES; seq++) r.receive(frame("r2", seq));
  assert.equal(flooded.closed, true);
  const reason =
    `Relay failed: more than ${MAX_QUEUED_FRAMES} frames came before the socket was ready`;
  assert.deepEqual(closes(sent), [{ relayId: "r2", target: "peer", code: 1011, reason }]);
  const ended: unknown[] = [];
  flooded.attach({ frame: (data) => ended.push(data), closed: (...args) => ended.push(args) });
  // What was queued is dropped with the relay; the listener learns it failed.
  assert.deepEqual(ended, [[1011, reason]]);
  assert.equal(r.size, 1);
});

Deno.test("a relay drops a frame delivered twice (a store's retry) and fails on a gap", () => {
  const { relays: r, sent } = relays();
  const link = r.open("r1", "peer");
  const got: unknown[] = [];
  link.attach({ frame: (data) => got.push(data), closed: (...args) => got.push(args) });
  for (const seq of [0, 1, 0, 1, 2]) r.receive(frame("r1", seq));
  assert.deepEqual(got, ["40", "41", "42"]);
  assert.equal(link.closed, false);
  r.receive(frame("r1", 4));
  assert.equal(link.closed, true);
  const reason = "Relay failed: frame 3 was lost (got 4)";
  assert.deepEqual(got.at(-1), [1011, reason]);
  assert.deepEqual(closes(sent), [{ relayId: "r1", target: "peer", code: 1011, reason }]);
});

Deno.test("a relay fails past MAX_IN_FLIGHT_FRAMES frames the cluster has not taken yet", () => {
  const { relays: r, sent } = relays(false);
  const link = r.open("r1", "peer");
  const closed: unknown[] = [];
  link.attach({ frame: () => {}, closed: (...args) => closed.push(args) });
  for (let i = 0; i <= MAX_IN_FLIGHT_FRAMES; i++) link.send(`4${i}`);
  assert.equal(link.closed, true);
  const reason = `Relay failed: more than ${MAX_IN_FLIGHT_FRAMES} frames wait for the cluster`;
  assert.deepEqual(closed, [[1011, reason]]);
  assert.deepEqual(closes(sent), [{ relayId: "r1", target: "peer", code: 1011, reason }]);
  assert.equal(
    sent.filter((s) => s.body.type === MessageType.RELAY_FRAME).length,
    MAX_IN_FLIGHT_FRAMES,
  );
  link.send("4late");
  assert.equal(sent.length, MAX_IN_FLIGHT_FRAMES + 1);
});

Deno.test("a relay fails past MAX_IN_FLIGHT_BYTES the cluster has not taken yet; one larger frame alone passes", () => {
  const { relays: r, sent } = relays(false);
  const link = r.open("r1", "peer");
  const closed: unknown[] = [];
  link.attach({ frame: () => {}, closed: (...args) => closed.push(args) });
  // A frame of 1 MiB (under the default maxHttpBufferSize) is 4 parts: far below the frame bound.
  const mib = new Uint8Array(1024 * 1024);
  for (let i = 0; i < 64 && !link.closed; i++) link.send(mib);
  assert.equal(link.closed, true);
  const reason = `Relay failed: more than ${MAX_IN_FLIGHT_BYTES} bytes wait for the cluster`;
  assert.deepEqual(closed, [[1011, reason]]);
  const frames = sent.filter((s) => s.body.type === MessageType.RELAY_FRAME).length;
  assert.equal(frames, 4 * (MAX_IN_FLIGHT_BYTES / mib.byteLength));

  const big = relays(false).relays.open("r2", "peer");
  big.send(new Uint8Array(MAX_IN_FLIGHT_BYTES + 1));
  assert.equal(big.closed, false);
});

Deno.test("a relay ignores another server's frames, ends when its peer leaves, and every relay ends at endAll()", () => {
  const { relays: r, sent } = relays();
  const a = r.open("a", "peer");
  const b = r.open("b", "other");
  const got: unknown[] = [];
  a.attach({ frame: (data) => got.push(data), closed: (...args) => got.push(args) });
  r.receive({ ...frame("a", 0), uid: "intruder" });
  assert.deepEqual(got, []);
  r.drop("peer");
  assert.deepEqual(got, [[1011, "Relay failed: peer left the cluster"]]);
  assert.equal(a.closed, true);
  assert.equal(b.closed, false);
  assert.deepEqual(closes(sent), [], "a peer that left is not written to");
  r.endAll("the adapter closed");
  assert.equal(b.closed, true);
  assert.equal(r.size, 0);
});

/** A link that records what the client relay does with it. */
function fakeLink(): { link: RelayLink; deliver(data: string): void; closedWith: unknown[] } {
  let listener: Parameters<RelayLink["attach"]>[0] | undefined;
  const closedWith: unknown[] = [];
  const link: RelayLink = {
    id: "r1",
    peer: "owner",
    closed: false,
    send: () => {},
    close: (code, reason) => closedWith.push([code, reason]),
    attach: (l) => listener = l,
  };
  return { link, deliver: (data) => listener!.frame(data), closedWith };
}

Deno.test("the client's end keeps the owner's frames until its socket opens, and closes both past the bound", () => {
  const { link, deliver, closedWith } = fakeLink();
  const handler = clientRelay(link);
  deliver("3probe");
  deliver("40");
  const sent: unknown[] = [];
  let closed = false;
  handler.onOpen({ send: (data) => sent.push(data), close: () => closed = true, readyState: 1 });
  assert.deepEqual(sent, ["3probe", "40"]);
  assert.equal(closed, false);

  const flood = fakeLink();
  const flooded = clientRelay(flood.link);
  for (let i = 0; i <= 1000; i++) flood.deliver(`4${i}`);
  assert.deepEqual(flood.closedWith, [[
    1011,
    "Relay failed: too much to keep before the socket opened",
  ]]);
  const late: unknown[] = [];
  let lateClosed = false;
  flooded.onOpen({
    send: (data) => late.push(data),
    close: () => lateClosed = true,
    readyState: 1,
  });
  assert.deepEqual(late, []);
  assert.equal(lateClosed, true);
  assert.deepEqual(closedWith, []);
});

Deno.test("a large frame travels in parts, in order, and is put back together; mixed or oversized parts fail the relay", () => {
  const { relays: r, sent } = relays();
  const out = r.open("r1", "peer");
  const bytes = new Uint8Array(PART_BYTES * 2 + 5).map((_, i) => i % 256);
  out.send(bytes);
  out.send("x".repeat(PART_UNITS + 1));
  const frames = sent.map((s) => s.body.data as { seq: number; frame: unknown; more?: boolean });
  assert.deepEqual(frames.map((f) => [f.seq, f.more ?? false]), [
    [0, true],
    [1, true],
    [2, false],
    [3, true],
    [4, false],
  ]);
  assert.deepEqual(splitFrame("short"), ["short"]);

  const back = relays();
  const link = back.relays.open("r1", "peer");
  const got: unknown[] = [];
  link.attach({ frame: (data) => got.push(data), closed: (...args) => got.push(args) });
  for (const f of frames) {
    back.relays.receive({
      uid: "peer",
      nsp: "/",
      type: MessageType.RELAY_FRAME,
      data: f.more
        ? { relayId: "r1", target: "me", seq: f.seq, frame: f.frame as string, more: true }
        : { relayId: "r1", target: "me", seq: f.seq, frame: f.frame as string },
    });
  }
  assert.deepEqual(got, [bytes, "x".repeat(PART_UNITS + 1)]);

  const parts = new Reassembly();
  assert.equal(parts.add("a", true), undefined);
  assert.equal(
    (parts.add(new Uint8Array(1), false) as Error).message,
    "the parts of a frame mix text and binary",
  );
  const huge = new Reassembly();
  const chunk = new Uint8Array(PART_BYTES);
  let outcome: unknown;
  for (let i = 0; i * PART_BYTES <= MAX_FRAME && outcome === undefined; i++) {
    outcome = huge.add(chunk, true);
  }
  assert.equal((outcome as Error).message, `a frame exceeds ${MAX_FRAME} bytes`);
});
