/**
 * Event typing as socket.io 4.8 declares it; the types live in parser/ so the client shares them.
 *
 * @module
 */

export * from "../parser/typed_events.ts";
