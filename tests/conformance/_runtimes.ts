// The runtimes the conformance suites run the server on, each started as a real process that
// prints "listening on <url>".
import { DENO, type Started, startServer } from "../_process.ts";

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
];
