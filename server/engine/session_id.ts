/**
 * Session ids: 15 random bytes as URL-safe base64, 20 characters, like the official `base64id`.
 *
 * @module
 */

import { encodeBase64 } from "../../parser/mod.ts";

/**
 * Makes a new session id from the platform's cryptographic random source.
 *
 * @returns A 20-character URL-safe id.
 *
 * @example
 * ```ts
 * import { generateSessionId } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * assert.match(generateSessionId(), /^[A-Za-z0-9_-]{20}$/);
 * ```
 */
export function generateSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_");
}
