// Starts the hibernation fixture Worker (a bundle of _hibernation_worker.ts, its two Durable
// Object classes bound) in workerd through the examples' Miniflare runner, on 127.0.0.1 and a
// free port. workerd evicts a Durable Object after 10 idle seconds (no event running, no timer
// pending), which the test and the bench wait for.
import { startBundled } from "../_bundle.ts";
import { type Started, startServer } from "../_process.ts";

const RUNNER = decodeURIComponent(
  new URL("../examples/_miniflare.mjs", import.meta.url).pathname,
);
const SETTINGS = JSON.stringify({
  compatibilityDate: "2025-11-01",
  durableObjects: { FAST: "FastRooms", SLOW: "SlowRooms" },
});

/** Bundles and starts the fixture Worker; stop it with `stop()`. */
export function startHibernationWorker(): Promise<Started> {
  return startBundled(new URL("./_hibernation_worker.ts", import.meta.url), {
    platform: "neutral",
    format: "esm",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
  }, (file) => startServer("node", [RUNNER, file, SETTINGS]));
}
