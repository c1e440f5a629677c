// Starts a Worker fixture in workerd through the Miniflare API (a Node process running
// tests/runtime/miniflare_server.mjs), bundled with esbuild for Workers.
import { type BundleOptions, startBundled } from "../_bundle.ts";
import { type Started, startServer } from "../_process.ts";

const MINIFLARE_SERVER = new URL("../runtime/miniflare_server.mjs", import.meta.url).pathname;

const WORKER_BUNDLE: BundleOptions = {
  platform: "neutral",
  format: "esm",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
};

export function startWorker(
  entry: URL,
  durableObjectClass: string,
  env: Record<string, string> = {},
): Promise<Started> {
  return startBundled(
    entry,
    WORKER_BUNDLE,
    (file) => startServer("node", [MINIFLARE_SERVER, file, durableObjectClass], env),
  );
}

/** Starts a plain Worker (no Durable Object binding). */
export function startPlainWorker(entry: URL): Promise<Started> {
  return startBundled(
    entry,
    WORKER_BUNDLE,
    (file) => startServer("node", [MINIFLARE_SERVER, file]),
  );
}

export const startEngineEchoWorker = (eio3: boolean): Promise<Started> =>
  startWorker(new URL("../../scripts/fixture_engine_workers.ts", import.meta.url), "EchoEngine", {
    EIO3: eio3 ? "1" : "0",
  });
