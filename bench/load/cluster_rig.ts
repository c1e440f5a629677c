// The processes of one side of bench/cluster_load.ts, started fresh for each side and stopped
// after it: a redis-server (the test fixture's, on a free loopback port, no persistence), and
//   - edgeio: the Upstash REST endpoint in front of it (bench/servers/upstash_rest.ts) and two
//     Deno servers with the Upstash adapter (bench/servers/cluster_deno.ts);
//   - official: two Node servers with @socket.io/redis-adapter over ioredis
//     (bench/servers/cluster_node.mjs).
// Every server is a child tracked by children.ts (stopAll() ends them); every redis-server is
// tracked here (stopAllRedis() ends them), so an error or a Ctrl-C leaves nothing behind.

import { type RedisServer, startRedisServer } from "../../tests/fixtures/redis_server.ts";
import { type ServerProcess, startServer } from "./children.ts";
import { sleep } from "./window.ts";

/** Which side: ours (edgeio over Upstash REST) or the official socket.io over redis TCP. */
export type SideKey = "ours" | "official";

/** The running processes of one side. */
export interface Side {
  key: SideKey;
  /** The node the broadcasts start from. */
  a: ServerProcess;
  /** The node the measured clients are connected to. */
  b: ServerProcess;
  /** The REST endpoint (edgeio only). */
  rest: ServerProcess | undefined;
  redis: RedisServer;
  /** Process ids whose CPU time is read: A, B, the REST endpoint (edgeio) and redis. */
  pids: { a: number; b: number; rest: number | undefined; redis: number };
  /** Stops the servers, the endpoint, then redis-server. */
  stop(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const redises = new Set<RedisServer>();

/** Stops every redis-server this module started and has not stopped yet. */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...redises].map((redis) => redis.stop()));
  redises.clear();
}

function deno(script: string, args: string[]): [string, string[]] {
  return [Deno.execPath(), ["run", "--allow-net=127.0.0.1", "--allow-env", script, ...args]];
}

/**
 * Starts one side: redis-server, then (edgeio) the REST endpoint, then servers A and B.
 *
 * @param key Which side.
 * @returns The running side; on an error, whatever was started is stopped first.
 */
export async function startSide(key: SideKey): Promise<Side> {
  const redis = await startRedisServer();
  redises.add(redis);
  const servers: ServerProcess[] = [];
  const stop = async () => {
    try {
      await Promise.all(servers.map((server) => server.stop()));
    } finally {
      redises.delete(redis);
      await redis.stop();
    }
  };
  try {
    let command: [string, string[]];
    let rest: ServerProcess | undefined;
    if (key === "ours") {
      const token = crypto.randomUUID();
      rest = await startServer(
        ...deno("bench/servers/upstash_rest.ts", [String(redis.port), token]),
        ROOT,
      );
      servers.push(rest);
      command = deno("bench/servers/cluster_deno.ts", [rest.url, token]);
    } else {
      command = ["node", ["bench/servers/cluster_node.mjs", String(redis.port)]];
    }
    const a = await startServer(...command, ROOT);
    servers.push(a);
    const b = await startServer(...command, ROOT);
    servers.push(b);
    const pids = { a: a.pid, b: b.pid, rest: rest?.pid, redis: redis.pid! };
    return { key, a, b, rest, redis, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The requests the REST endpoint answered so far, by route (it prints them on SIGUSR1).
 *
 * @param side The side.
 * @returns The counts, or `undefined` without an endpoint or without an answer within 2 s.
 */
export async function restRequests(side: Side): Promise<Record<string, number> | undefined> {
  const rest = side.rest;
  if (!rest) return undefined;
  const seen = rest.output.length;
  Deno.kill(rest.pid, "SIGUSR1");
  const line = () => rest.output.slice(seen).find((l) => l.startsWith("requests "));
  const deadline = performance.now() + 2000;
  while (line() === undefined && performance.now() < deadline) await sleep(5);
  const text = line();
  return text === undefined ? undefined : JSON.parse(text.slice("requests ".length));
}

/**
 * The requests answered between two readings of {@linkcode restRequests}.
 *
 * @param before The first reading.
 * @param after The second.
 * @returns The counts by route, or `undefined` when a reading is missing.
 */
export function requestsSince(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  return Object.fromEntries(
    Object.entries(after).map(([route, count]) => [route, count - (before[route] ?? 0)]),
  );
}
