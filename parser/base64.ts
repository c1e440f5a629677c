/**
 * Base64 for binary Engine.IO packets (`b…` over polling). Uses the native
 * `Uint8Array.fromBase64`/`toBase64` where the runtime has them and a table-driven
 * fallback elsewhere (older browsers).
 *
 * @module
 */

import { decodeBase64Fallback, encodeBase64Fallback } from "./_base64_fallback.ts";

interface NativeBase64 {
  fromBase64?: (text: string) => Uint8Array;
}
interface NativeBase64Instance {
  toBase64?: (this: Uint8Array) => string;
}

const nativeFrom = (Uint8Array as unknown as NativeBase64).fromBase64;
const nativeTo = (Uint8Array.prototype as unknown as NativeBase64Instance).toBase64;

/**
 * Encodes bytes as standard, padded base64.
 *
 * @param bytes The bytes to encode.
 * @returns The base64 text.
 *
 * @example Encode three bytes
 * ```ts
 * import { encodeBase64 } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeBase64(new Uint8Array([1, 2, 3])), "AQID");
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  return nativeTo ? nativeTo.call(bytes) : encodeBase64Fallback(bytes);
}

/**
 * Decodes standard base64 (padding optional).
 *
 * @param text The base64 text.
 * @returns The decoded bytes.
 * @throws {SyntaxError} When `text` is not valid base64.
 *
 * @example Decode, and reject garbage
 * ```ts
 * import { decodeBase64 } from "@edgeio/edgeio/parser";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeBase64("AQID"), new Uint8Array([1, 2, 3]));
 * assert.throws(() => decodeBase64("**"), SyntaxError);
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  if (!nativeFrom) return decodeBase64Fallback(text);
  try {
    return nativeFrom(text);
  } catch {
    throw new SyntaxError(`Cannot decode base64: invalid input of length ${text.length}`);
  }
}
