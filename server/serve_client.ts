/**
 * Serves the browser client bundle, as socket.io does: `<path>/socket.io.js`,
 * `socket.io.min.js`, `socket.io.esm.min.js` and their source maps, with a strong ETag,
 * `304 Not Modified` on a matching `If-None-Match`, and the engine's CORS headers.
 *
 * The bundles live in the generated module `_client_files.ts` (`deno task build:client`), which
 * is imported on the first request for one of them: a server that never serves the client never
 * parses them.
 *
 * @module
 */

import { corsHeaders, type CorsOptions } from "./engine/cors.ts";

/**
 * The files served under the Socket.IO path: the IIFE bundle (global `io`), plain and minified,
 * the minified ES module, and a source map for each.
 *
 * @example
 * ```ts
 * import { CLIENT_FILE_NAMES } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * assert.ok(CLIENT_FILE_NAMES.includes("socket.io.esm.min.js"));
 * ```
 */
export const CLIENT_FILE_NAMES: readonly string[] = Object.freeze([
  "socket.io.js",
  "socket.io.js.map",
  "socket.io.min.js",
  "socket.io.min.js.map",
  "socket.io.esm.min.js",
  "socket.io.esm.min.js.map",
]);

/**
 * Where and how the client files are served. `new Server()` passes its `path` and `cors` options.
 *
 * @example
 * ```ts
 * import { serveClientFile } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://localhost/rt/socket.io.js", {
 *   headers: { origin: "https://app.example" },
 * });
 * const response = await serveClientFile(request, { path: "/rt", cors: { origin: true } })!;
 * assert.equal(response.headers.get("access-control-allow-origin"), "https://app.example");
 * await response.body?.cancel();
 * ```
 */
export interface ServeClientOptions {
  /**
   * The Socket.IO path the files sit under.
   * @default {"/socket.io"}
   */
  path?: string;
  /**
   * Cross-origin rules, as the engine's `cors` option takes them; `false` adds no header.
   * @default {false}
   */
  cors?: CorsOptions | false;
}

interface ClientFile {
  readonly body: string;
  readonly etag: string;
}

const NAMES = new Set(CLIENT_FILE_NAMES);
let loading: Promise<Readonly<Record<string, ClientFile>>> | undefined;
const encoded = new Map<string, Uint8Array<ArrayBuffer>>();

function loadFiles(): Promise<Readonly<Record<string, ClientFile>>> {
  return loading ??= import("./_client_files.ts").then((module) => module.CLIENT_FILES);
}

function bytesOf(name: string, file: ClientFile): Uint8Array<ArrayBuffer> {
  let bytes = encoded.get(name);
  if (!bytes) encoded.set(name, bytes = new TextEncoder().encode(file.body));
  return bytes;
}

// If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` does not matter, so a tag a
// runtime weakened while compressing the response (Deno.serve does) still matches.
function notModified(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

async function respond(
  request: Request,
  name: string,
  cors: CorsOptions | false,
): Promise<Response> {
  let headers = new Headers();
  if (cors) {
    const answer = await corsHeaders(cors, request);
    if (answer.preflight) return answer.preflight;
    headers = answer.headers;
  }
  const file = (await loadFiles())[name];
  if (!file) throw new Error(`Cannot serve ${name}: the generated client module lacks it`);
  headers.set("Cache-Control", "public, max-age=0");
  headers.set("ETag", file.etag);
  if (notModified(request.headers.get("if-none-match"), file.etag)) {
    return new Response(null, { status: 304, headers });
  }
  const body = bytesOf(name, file);
  const type = name.endsWith(".map") ? "json" : "javascript";
  headers.set("Content-Type", `application/${type}; charset=utf-8`);
  headers.set("Content-Length", String(body.byteLength));
  return new Response(request.method === "HEAD" ? null : body, { headers });
}

/**
 * Answers a request for one of the client files, or tells it is not one (`undefined`, decided
 * without waiting, so a fetch handler can fall through to something else).
 *
 * Like socket.io, every method but a CORS preflight gets the file (`HEAD` without a body), and
 * the query string is ignored (`socket.io.js?v=2`).
 *
 * @param request The request.
 * @param options The path and the CORS rules.
 * @returns The response, or `undefined` when the request is not for a client file.
 *
 * @example Mounted beside another handler
 * ```ts
 * import { serveClientFile } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const handler = (request: Request) =>
 *   serveClientFile(request) ?? new Response("Not Found", { status: 404 });
 * const response = await handler(new Request("http://localhost/socket.io/socket.io.min.js"));
 * assert.equal(response.headers.get("content-type"), "application/javascript; charset=utf-8");
 * const etag = response.headers.get("etag")!;
 * await response.body?.cancel();
 *
 * const again = new Request("http://localhost/socket.io/socket.io.min.js", {
 *   headers: { "if-none-match": etag },
 * });
 * assert.equal((await handler(again)).status, 304);
 * assert.equal((await handler(new Request("http://localhost/app.js"))).status, 404);
 * ```
 */
export function serveClientFile(
  request: Request,
  options: ServeClientOptions = {},
): Promise<Response> | undefined {
  // Every file name starts with "socket.io.": most requests are turned away without a URL parse.
  if (!request.url.includes("/socket.io.")) return undefined;
  const path = (options.path ?? "/socket.io").replace(/\/$/, "");
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith(`${path}/`)) return undefined;
  const name = pathname.slice(path.length + 1);
  if (!NAMES.has(name)) return undefined;
  return respond(request, name, options.cors ?? false);
}
