/**
 * The edgeio server: today the Engine.IO layer (`EngineServer`), runtime-neutral behind a
 * Web-standard fetch handler. Runtime glue lives in `@edgeio/edgeio/deno` and its siblings.
 *
 * @example An Engine.IO echo server, polling only (works on any runtime)
 * ```ts
 * import { EngineServer } from "@edgeio/edgeio/server";
 *
 * const engine = new EngineServer();
 * engine.on("connection", (session) => session.on("message", (data) => session.send(data)));
 * // Deno.serve(engine.fetch); export default { fetch: engine.fetch }; Bun.serve({ fetch: engine.fetch })
 * engine.close();
 * ```
 *
 * @module
 */

export * from "../parser/emitter.ts";
export * from "./engine/mod.ts";
export * from "./broadcast_operator.ts";
export { Client } from "./client.ts";
export * from "./io_server.ts";
export * from "./namespace.ts";
export * from "./parent_namespace.ts";
export * from "./options.ts";
export * from "./parser_binary.ts";
export * from "./serve_client.ts";
export * from "./socket.ts";
export * from "./strict_event_emitter.ts";
export * from "./typed_events.ts";
