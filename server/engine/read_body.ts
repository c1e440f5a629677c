/**
 * Reads a request body with a size limit, stopping as soon as the limit is passed.
 *
 * @module
 */

import { concatBytes } from "../../parser/mod.ts";

/**
 * Reads a request body, refusing more than `limit` bytes.
 *
 * @param request The request.
 * @param limit The most bytes accepted.
 * @returns The body, or `undefined` when it is larger than `limit` (the rest is not read).
 * @throws {Error} When the client goes away mid-body.
 *
 * @example
 * ```ts
 * import { readBody } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const body = await readBody(new Request("http://x/", { method: "POST", body: "4hi" }), 10);
 * assert.equal(new TextDecoder().decode(body), "4hi");
 * assert.equal(await readBody(new Request("http://x/", { method: "POST", body: "4hello" }), 3), undefined);
 * ```
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await request.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
