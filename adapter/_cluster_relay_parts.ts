// Large relay frames travel in parts: a transport may carry messages of a bounded size (Upstash
// takes requests of 10 MB at most, an event stream reader bounds its lines, and binary travels
// as base64), so a frame is
// cut into parts of at most PART_BYTES bytes (PART_UNITS UTF-16 units for text, which JSON may
// write as up to 6 bytes each) and put back together, bounded, on the other side.

import type { RelayFrame } from "./cluster_message.ts";

/** The largest binary part, in bytes (base64: a third more). */
export const PART_BYTES = 256 * 1024;
/** The largest text part, in UTF-16 units. */
export const PART_UNITS = 128 * 1024;
/** The largest frame put back together, in bytes (or UTF-16 units). */
export const MAX_FRAME = 64 * 1024 * 1024;

/** Cuts a frame into parts; most frames are one part, the frame itself. */
export function splitFrame(frame: RelayFrame): RelayFrame[] {
  const size = typeof frame === "string" ? PART_UNITS : PART_BYTES;
  if (frame.length <= size) return [frame];
  const parts: RelayFrame[] = [];
  for (let at = 0; at < frame.length; at += size) {
    parts.push(
      typeof frame === "string" ? frame.slice(at, at + size) : frame.subarray(at, at + size),
    );
  }
  return parts;
}

/** Puts the parts of one frame back together. */
export class Reassembly {
  #parts: RelayFrame[] = [];
  #size = 0;

  /**
   * Takes a part; returns the whole frame once its last part came, `undefined` while more are
   * to come, or an Error when the parts mix text and binary or exceed {@linkcode MAX_FRAME}.
   */
  add(part: RelayFrame, more: boolean): RelayFrame | undefined | Error {
    if (this.#parts.length === 0 && !more) return part;
    const first = this.#parts[0];
    if (first !== undefined && typeof first !== typeof part) {
      return new Error("the parts of a frame mix text and binary");
    }
    this.#size += part.length;
    if (this.#size > MAX_FRAME) return new Error(`a frame exceeds ${MAX_FRAME} bytes`);
    this.#parts.push(part);
    if (more) return undefined;
    const parts = this.#parts;
    this.#parts = [];
    this.#size = 0;
    if (typeof part === "string") return parts.join("");
    const whole = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
    let at = 0;
    for (const p of parts as Uint8Array[]) {
      whole.set(p, at);
      at += p.length;
    }
    return whole;
  }
}
