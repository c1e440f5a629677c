// Socket.IO echo with acks: each connection keeps one `echo` event in flight, as a client's
// `socket.emit("echo", data, ack)` sends it (`42<id>["echo",data]`, the ack id counting up),
// and awaits the server's ack (`43<id>[data]`) before sending the next. Acks that arrive inside
// the measured window (after the warm-up) count, with their round-trip times.

import { echoResult, runEchoLoop } from "./echo_loop.ts";
import { connectMany, disconnectAll, socketIoWsUrl } from "./socketio_ws.ts";
import type { EchoResult, SioEchoConfig } from "./types.ts";
import { measureWindow } from "./window.ts";

/**
 * Runs the scenario.
 *
 * @param config Connections, payload and timing.
 * @returns Throughput, latency percentiles and CPU shares.
 */
export async function runSioEcho(config: SioEchoConfig): Promise<EchoResult> {
  const url = socketIoWsUrl(config.url);
  const { sockets, errors } = await connectMany(url, config.connections, config.connections);
  const json = JSON.stringify("x".repeat(config.payloadBytes));
  const clock = measureWindow(config.serverPid, config.warmupMs, config.durationMs);
  const tally = await runEchoLoop(
    sockets.map(({ engine }) => engine),
    (id) => ({ send: `42${id}["echo",${json}]`, expect: `43${id}[${json}]` }),
    clock,
    config.warmupMs + config.durationMs + 10000,
  );
  tally.errors += errors;
  const cpu = await clock.cpu;
  await disconnectAll(sockets);
  return echoResult("sio-echo", tally, config.durationMs, cpu);
}
