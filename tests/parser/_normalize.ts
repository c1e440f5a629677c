// Test helper: turns every binary value (Buffer, typed array, ArrayBuffer) in a tree into a
// plain Uint8Array copy, so values decoded by the official parsers (Node Buffers) and ours
// compare with deepStrictEqual.
export function normalize(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(
      value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength),
    );
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = normalize(item);
    }
    return out;
  }
  return value;
}
