/**
 * The typed event emitter base of Server, Namespace and Socket; it lives in parser/ so the
 * client shares it.
 *
 * @module
 */

export * from "../parser/strict_event_emitter.ts";
