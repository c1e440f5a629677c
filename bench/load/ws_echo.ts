// Scenario 1: WebSocket echo round trips. Each connection keeps one message in flight: send
// `4<payload>`, await the echo, send the next. Echoes that arrive inside the measured window
// (after the warm-up) count, with their round-trip times.

import { echoResult, runEchoLoop } from "./echo_loop.ts";
import { closeAll, engineWsUrl, openMany } from "./engine_ws.ts";
import type { EchoResult, WsEchoConfig } from "./types.ts";
import { measureWindow } from "./window.ts";

/**
 * Runs the scenario.
 *
 * @param config Connections, payload and timing.
 * @returns Throughput, latency percentiles and CPU shares.
 */
export async function runWsEcho(config: WsEchoConfig): Promise<EchoResult> {
  const url = engineWsUrl(config.url);
  const { sockets, errors } = await openMany(url, config.connections, config.connections);
  const payload = "4" + "x".repeat(config.payloadBytes);
  const clock = measureWindow(config.serverPid, config.warmupMs, config.durationMs);
  const tally = await runEchoLoop(
    sockets,
    () => ({ send: payload, expect: payload }),
    clock,
    config.warmupMs + config.durationMs + 10000,
  );
  tally.errors += errors;
  const cpu = await clock.cpu;
  await closeAll(sockets);
  return echoResult("ws-echo", tally, config.durationMs, cpu);
}
