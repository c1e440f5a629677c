// routeToDurableObject's shard choice: the shard key's FNV-1a hash, the fallback to pickShard, and
// the errors for bad settings. The objects here are plain functions recording what reached them;
// tests/workers/shards_test.ts runs the router in workerd.
import assert from "node:assert/strict";
import { routeToDurableObject, shardByQuery, shardOf } from "../../server/runtime/workers.ts";

function namespace() {
  const seen: string[] = [];
  const SOCKET_IO = {
    idFromName: (name: string) => name,
    get: (id: unknown) => ({
      fetch: (request: Request) => {
        seen.push(`${id}:${request.headers.get("x-edgeio-shard")}`);
        return Promise.resolve(new Response("ok"));
      },
    }),
  };
  return { seen, env: { SOCKET_IO } };
}

const handshake = (query = "") =>
  new Request(`http://x/socket.io/?EIO=4&transport=polling${query}`);

Deno.test("shardOf is 32-bit FNV-1a of the UTF-8 bytes", () => {
  // Reference values of FNV-1a 32 (draft-eastlake-fnv): "" → 0x811c9dc5, "a" → 0xe40c292c,
  // "foobar" → 0xbf9cf968.
  const big = 2 ** 32;
  assert.equal(shardOf("", big - 1), 0x811c9dc5 % (big - 1));
  assert.equal(shardOf("a", 1_000_003), 0xe40c292c % 1_000_003);
  assert.equal(shardOf("foobar", 1_000_003), 0xbf9cf968 % 1_000_003);
  // Non-ASCII keys hash their UTF-8 bytes: "é" is c3 a9.
  let h = 0x811c9dc5;
  for (const byte of [0xc3, 0xa9]) h = Math.imul(h ^ byte, 0x01000193);
  assert.equal(shardOf("é", 1_000_003), (h >>> 0) % 1_000_003);
  assert.throws(() => shardOf("a", 0), RangeError);
  assert.throws(() => shardOf("a", 1.5), RangeError);
});

Deno.test("shardOf spreads keys over the shards", () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[shardOf(`/room-${i}`, 4)]!++;
  for (const count of counts) assert.ok(count > 800 && count < 1200, String(counts));
});

Deno.test("the shard key picks the object; without one, pickShard does", async () => {
  const { seen, env } = namespace();
  const route = routeToDurableObject("SOCKET_IO", {
    shards: 8,
    shardKey: shardByQuery("nsp"),
    pickShard: () => 7,
  });
  await route(handshake("&nsp=%2Fchat"), env);
  await route(handshake("&nsp=%2Fchat"), env);
  await route(handshake(), env);
  const chat = shardOf("/chat", 8);
  assert.deepEqual(seen, [`${chat}:${chat}`, `${chat}:${chat}`, "7:7"]);
  // A later request follows its session id, whatever its key says.
  await route(handshake("&nsp=%2Fchat&sid=3.abc"), env);
  assert.equal(seen.at(-1), "3:3");
});

Deno.test("bad shard choices are clear errors", async () => {
  const { env } = namespace();
  assert.throws(() => routeToDurableObject("SOCKET_IO", { shards: 0 }), RangeError);
  const route = routeToDurableObject("SOCKET_IO", { shards: 2, pickShard: () => 2 });
  await assert.rejects(route(handshake(), env), /pickShard gave 2, not a shard below 2/);
  await assert.rejects(route(handshake(), {}), /no Durable Object binding named SOCKET_IO/);
  // A session id naming no shard is an unknown session, as Engine.IO answers it.
  const response = await route(handshake("&sid=9.abc"), env);
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), { code: 1, message: "Session ID unknown" });
});
