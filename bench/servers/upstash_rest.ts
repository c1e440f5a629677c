// The Upstash-REST-compatible endpoint of the test fixtures (tests/fixtures/upstash_rest.ts) in a
// process of its own, in front of a redis-server the benchmark started: it stands in for the
// Upstash service, so its CPU is kept apart from the servers' and the clients'.
//
//   deno run --allow-net=127.0.0.1 bench/servers/upstash_rest.ts <redis-port> <token>
//
// Prints "listening on <url>"; on SIGUSR1 prints `requests {"<route>":<count>,...}`, the
// requests answered so far by route (`/pipeline`, `/`, `/subscribe`, ...); exits on
// SIGTERM/SIGINT.
import { startUpstashRest } from "../../tests/fixtures/upstash_rest.ts";

const [port, token] = Deno.args;
if (!(Number(port) > 0) || !token) {
  throw new TypeError("usage: upstash_rest.ts <redis-port> <token>");
}

const rest = startUpstashRest({ redisPort: Number(port), token });
// deno-lint-ignore no-console -- the one line the benchmark waits for
console.log(`listening on ${rest.url}`);

Deno.addSignalListener("SIGUSR1", () => {
  // deno-lint-ignore no-console -- read by the benchmark
  console.log(`requests ${JSON.stringify(Object.fromEntries(rest.requests))}`);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await rest.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
