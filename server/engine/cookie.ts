/**
 * The session cookie's `Set-Cookie` value.
 *
 * @module
 */

import type { CookieOptions } from "./options.ts";

/**
 * Serializes the session cookie.
 *
 * @param options The cookie's attributes; `name` defaults to `io`.
 * @param value The session id.
 * @returns The `Set-Cookie` header value.
 *
 * @example
 * ```ts
 * import { serializeCookie } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   serializeCookie({ name: "io", path: "/", httpOnly: true, sameSite: "lax" }, "abc"),
 *   "io=abc; Path=/; HttpOnly; SameSite=Lax",
 * );
 * ```
 */
export function serializeCookie(options: CookieOptions, value: string): string {
  let cookie = `${options.name ?? "io"}=${encodeURIComponent(value)}`;
  if (options.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.domain) cookie += `; Domain=${options.domain}`;
  if (options.path) cookie += `; Path=${options.path}`;
  if (options.httpOnly) cookie += "; HttpOnly";
  if (options.secure) cookie += "; Secure";
  if (options.sameSite) {
    cookie += `; SameSite=${options.sameSite[0]!.toUpperCase()}${options.sameSite.slice(1)}`;
  }
  return cookie;
}
