// Recovery offsets: a random prefix per adapter, then a sequence number in base 36. The number
// tells where a packet sits in the log without a lookup table; the prefix keeps offsets of
// another adapter, or of an earlier run of this process, from passing as ours.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Characters of the prefix: 8 × 6 = 48 random bits. */
export const PREFIX_LENGTH = 8;
const SEQUENCE = /^[1-9a-z][0-9a-z]*$/;

/** Makes a prefix. Called lazily: Workers forbid random values in global scope. */
export function randomPrefix(): string {
  let prefix = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(PREFIX_LENGTH))) {
    prefix += ALPHABET[byte & 63];
  }
  return prefix;
}

/** The offset of sequence number `seq` (≥ 1). */
export function formatOffset(prefix: string, seq: number): string {
  return prefix + seq.toString(36);
}

/**
 * The sequence number an offset names, or `undefined` when it is not one this prefix issued
 * (another prefix, a malformed or non-canonical number, or one beyond `newest`).
 */
export function parseOffset(prefix: string, offset: string, newest: number): number | undefined {
  if (prefix === "" || !offset.startsWith(prefix)) return undefined;
  const digits = offset.slice(PREFIX_LENGTH);
  if (!SEQUENCE.test(digits)) return undefined;
  const seq = parseInt(digits, 36);
  return seq <= newest ? seq : undefined;
}
