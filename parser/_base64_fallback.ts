// Table-driven base64 for runtimes without Uint8Array.fromBase64/toBase64 (older browsers).
// Private to parser/: base64.ts picks it when the native methods are missing.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64Fallback(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! +
      ALPHABET[v & 63]!;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (bytes[i]! << 16) | ((two ? bytes[i + 1]! : 0) << 8);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! +
      (two ? ALPHABET[(v >> 6) & 63]! : "=") + "=";
  }
  return out;
}

// Like Uint8Array.fromBase64 (the forgiving-base64 rules): ASCII white space is skipped.
export function decodeBase64Fallback(input: string): Uint8Array {
  const text = /[\t\n\f\r ]/.test(input) ? input.replace(/[\t\n\f\r ]+/g, "") : input;
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1 || (text.length !== end && text.length % 4 !== 0)) {
    throw new SyntaxError(`Cannot decode base64: invalid length ${text.length}`);
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) {
      throw new SyntaxError(`Cannot decode base64: invalid character at index ${i}`);
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
