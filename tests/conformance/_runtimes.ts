// The runtimes the conformance suites run the server on, each started as a real process that
// prints "listening on <url>".
import { startBundled } from "../_bundle.ts";
import { DENO, type Started, startServer } from "../_process.ts";
import { startEngineEchoWorker } from "./_workerd.ts";

export interface Runtime {
  name: string;
  /** Starts the Engine.IO echo fixture; `eio3` admits EIO=3 clients. */
  startEngineEcho(eio3: boolean): Promise<Started>;
}

export const RUNTIMES: Runtime[] = [
  {
    name: "deno",
    startEngineEcho: (eio3) =>
      startServer(DENO, [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "scripts/fixture_engine.ts",
      ], {
        EIO3: eio3 ? "1" : "0",
      }),
  },
  {
    name: "bun",
    startEngineEcho: (eio3) =>
      startServer(new URL("../../node_modules/.bin/bun", import.meta.url).pathname, [
        "run",
        "scripts/fixture_engine_bun.ts",
      ], {
        EIO3: eio3 ? "1" : "0",
      }),
  },
  {
    name: "node",
    // Node runs the fixture bundled (TypeScript, ws inlined) from a temporary directory.
    startEngineEcho: (eio3) =>
      startBundled(
        new URL("../../scripts/fixture_engine_node.ts", import.meta.url),
        {},
        (file) => startServer("node", [file], { EIO3: eio3 ? "1" : "0" }),
      ),
  },
  {
    name: "workerd",
    // The engine in a Durable Object behind the routing Worker, in workerd through Miniflare.
    startEngineEcho: startEngineEchoWorker,
  },
];
