// The load generator process: runs one scenario against one server and prints its result as
// one JSON line. Started by bench/engine_load.ts and bench/socketio_load.ts, in a process of its
// own so the server does not share an event loop (or a core) with its load.
//
//   deno run --allow-all bench/load/generator.ts '<config JSON>'
//
// (All permissions: Deno grants reads of /proc/<pid>/ only with --allow-all.)

import { print } from "./print.ts";
import { runPollingEcho } from "./polling_echo.ts";
import { runSioBroadcast } from "./sio_broadcast.ts";
import { runSioEcho } from "./sio_echo.ts";
import type { LoadConfig, LoadResult } from "./types.ts";
import { runWsEcho } from "./ws_echo.ts";
import { runWsIdle } from "./ws_idle.ts";

function run(config: LoadConfig): Promise<LoadResult> {
  switch (config.scenario) {
    case "ws-echo":
      return runWsEcho(config);
    case "ws-idle":
      return runWsIdle(config);
    case "polling-echo":
      return runPollingEcho(config);
    case "sio-echo":
      return runSioEcho(config);
    case "sio-broadcast":
      return runSioBroadcast(config);
  }
}

if (import.meta.main) {
  const config = JSON.parse(Deno.args[0] ?? "null") as LoadConfig;
  print(JSON.stringify(await run(config)));
}
