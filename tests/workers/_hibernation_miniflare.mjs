// Runs the hibernation fixture Worker (a bundle of _hibernation_worker.ts) in workerd through the
// Miniflare API, with its two Durable Object classes bound, on 127.0.0.1 and a free port; prints
// "listening on <url>". workerd evicts a Durable Object after 10 idle seconds (no event running,
// no timer pending), which is what the test waits for. Usage: node _hibernation_miniflare.mjs
// <bundle.mjs>. Stops cleanly on SIGTERM/SIGINT.
import { dirname } from "node:path";
import { Miniflare } from "miniflare";

const [scriptPath] = process.argv.slice(2);
const mf = new Miniflare({
  modules: true,
  scriptPath,
  modulesRoot: dirname(scriptPath),
  compatibilityDate: "2025-11-01",
  durableObjects: { FAST: "FastRooms", SLOW: "SlowRooms" },
  host: "127.0.0.1",
  port: 0,
});
const url = await mf.ready;
// deno-lint-ignore no-console -- the one line the test harness waits for
console.log(`listening on ${url.origin}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
