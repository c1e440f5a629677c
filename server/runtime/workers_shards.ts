/**
 * Shard keys for {@linkcode routeToDurableObject}: which Durable Object a new session lands on,
 * from something the handshake request carries.
 *
 * The Engine.IO handshake does not name a Socket.IO namespace: one connection may carry several
 * (`/`, `/chat`, …), and the client asks for them only after the handshake. So "sharding by
 * namespace" means the client says which one it wants in the handshake — a query parameter
 * (`io(url + "/chat", { query: { nsp: "/chat" } })`, read by `shardByQuery("nsp")`) or a header
 * — and the Worker picks the shard from that. Sessions with the same key share an object (their
 * rooms need no adapter among themselves); objects share broadcasts, acks and `fetchSockets`
 * through an adapter such as the Upstash one.
 *
 * @example Sessions of the same room on the same object
 * ```ts
 * import { routeToDurableObject, shardByQuery } from "@edgeio/edgeio/workers";
 *
 * export default {
 *   fetch: routeToDurableObject("SOCKET_IO", { shards: 4, shardKey: shardByQuery("room") }),
 * };
 * ```
 *
 * @module
 */

/**
 * The shard of a key: the 32-bit FNV-1a hash of its UTF-8 bytes, modulo `shards`. Stable across
 * isolates, deployments and runtimes, so the same key always names the same object.
 *
 * @param key The key.
 * @param shards How many shards there are (a positive integer).
 * @returns A shard number below `shards`.
 * @throws {RangeError} When `shards` is not a positive integer.
 *
 * @example
 * ```ts
 * import { shardOf } from "@edgeio/edgeio/workers";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shardOf("/chat", 4), shardOf("/chat", 4));
 * assert.ok(shardOf("/chat", 4) < 4);
 * assert.equal(shardOf("anything", 1), 0);
 * ```
 */
export function shardOf(key: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) {
    throw new RangeError(`Cannot pick a shard: shards must be a positive integer, got ${shards}`);
  }
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * A `shardKey` for {@linkcode routeToDurableObject} that reads a query parameter of the
 * handshake, e.g. the namespace or the room a client passes with
 * `io(url, { query: { nsp: "/chat" } })`. A handshake without it gets a random shard (or
 * `pickShard`'s).
 *
 * @param name The query parameter.
 * @returns The key function.
 *
 * @example
 * ```ts
 * import { shardByQuery } from "@edgeio/edgeio/workers";
 * import assert from "node:assert/strict";
 *
 * const key = shardByQuery("nsp");
 * assert.equal(key(new Request("http://x/socket.io/?EIO=4&transport=polling&nsp=%2Fchat")), "/chat");
 * assert.equal(key(new Request("http://x/socket.io/?EIO=4&transport=polling")), undefined);
 * ```
 */
export function shardByQuery(name: string): (request: Request) => string | undefined {
  return (request) => new URL(request.url).searchParams.get(name) ?? undefined;
}
