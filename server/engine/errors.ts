/**
 * Engine.IO error codes, and the one function that turns a protocol error into a `Response`.
 *
 * @module
 */

/** The Engine.IO error codes, as the official server numbers them. */
export const EngineErrorCode = Object.freeze(
  {
    UNKNOWN_TRANSPORT: 0,
    UNKNOWN_SID: 1,
    BAD_HANDSHAKE_METHOD: 2,
    BAD_REQUEST: 3,
    FORBIDDEN: 4,
    UNSUPPORTED_PROTOCOL_VERSION: 5,
  } as const,
) as {
  readonly UNKNOWN_TRANSPORT: 0;
  readonly UNKNOWN_SID: 1;
  readonly BAD_HANDSHAKE_METHOD: 2;
  readonly BAD_REQUEST: 3;
  readonly FORBIDDEN: 4;
  readonly UNSUPPORTED_PROTOCOL_VERSION: 5;
};

/** An Engine.IO error code, `0`…`5`. */
export type EngineErrorCode = typeof EngineErrorCode[keyof typeof EngineErrorCode];

/** The message of each error code, as the official server words it. */
export const ENGINE_ERROR_MESSAGES: Readonly<Record<EngineErrorCode, string>> = Object.freeze({
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
});

/**
 * A refused Engine.IO request: the protocol code, the message sent to the client, and what
 * went wrong in detail (for `connection_error` listeners, never sent).
 *
 * @example
 * ```ts
 * import { EngineError } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const error = new EngineError(1, { sid: "abc" });
 * assert.equal(error.message, "Session ID unknown");
 * assert.equal(error.status, 400);
 * ```
 */
export class EngineError extends Error {
  /** The Engine.IO error code. */
  readonly code: EngineErrorCode;
  /** Details for logs and `connection_error` listeners. */
  readonly context: Record<string, unknown>;

  /**
   * Makes an error for a code; a `message` in the context replaces the standard one (as
   * `allowRequest` refusals do).
   *
   * @param code The Engine.IO error code.
   * @param context Details; its `message`, when a string, is sent to the client.
   */
  constructor(code: EngineErrorCode, context: Record<string, unknown> = {}) {
    const custom = context.message;
    super(typeof custom === "string" && custom !== "" ? custom : ENGINE_ERROR_MESSAGES[code]);
    this.name = "EngineError";
    this.code = code;
    this.context = context;
  }

  /** The HTTP status: 403 for `FORBIDDEN`, 400 otherwise. */
  get status(): 400 | 403 {
    return this.code === EngineErrorCode.FORBIDDEN ? 403 : 400;
  }
}

/**
 * Turns a refused request into its answer: JSON `{"code","message"}` for HTTP requests, a plain
 * text body for refused WebSocket upgrades, as the official server answers.
 *
 * @param error The refusal.
 * @param upgrade Whether the request asked for a WebSocket upgrade.
 * @param headers Extra headers (CORS) to send.
 * @returns The response.
 *
 * @example
 * ```ts
 * import { EngineError, errorResponse } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const response = errorResponse(new EngineError(0), false);
 * assert.equal(response.status, 400);
 * assert.deepEqual(await response.json(), { code: 0, message: "Transport unknown" });
 * ```
 */
export function errorResponse(
  error: EngineError,
  upgrade: boolean,
  headers?: HeadersInit,
): Response {
  const merged = new Headers(headers);
  if (upgrade) {
    merged.set("Content-Type", "text/html");
    merged.set("Connection", "close");
    return new Response(error.message, { status: error.status, headers: merged });
  }
  merged.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ code: error.code, message: error.message }), {
    status: error.status,
    headers: merged,
  });
}
