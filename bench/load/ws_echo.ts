// Scenario 1: WebSocket echo round trips. Each connection keeps one message in flight: send
// `4<payload>`, await the echo, send the next. Echoes that arrive inside the measured window
// (after the warm-up) count, with their round-trip times.

import { closeAll, type EngineSocket, engineWsUrl, openMany } from "./engine_ws.ts";
import { percentile, Samples } from "./stats.ts";
import type { EchoResult, WsEchoConfig } from "./types.ts";
import { measureWindow } from "./window.ts";

// A hard cap on messages per connection, far above what a few seconds can reach.
const MAX_MESSAGES_PER_CONNECTION = 10_000_000;

/**
 * Runs the scenario.
 *
 * @param config Connections, payload and timing.
 * @returns Throughput, latency percentiles and CPU shares.
 */
export async function runWsEcho(config: WsEchoConfig): Promise<EchoResult> {
  const url = engineWsUrl(config.url);
  const { sockets, errors: openErrors } = await openMany(
    url,
    config.connections,
    config.connections,
  );
  const payload = "4" + "x".repeat(config.payloadBytes);
  const samples = new Samples();
  let messages = 0;
  let errors = openErrors;
  const clock = measureWindow(config.serverPid, config.warmupMs, config.durationMs);

  const drive = (session: EngineSocket) =>
    new Promise<void>((resolve) => {
      let sentAt = 0;
      let sent = 0;
      const send = () => {
        sentAt = performance.now();
        sent++;
        session.send(payload);
      };
      session.onMessage = (packet) => {
        const now = performance.now();
        if (packet !== payload) {
          errors++;
          return resolve();
        }
        if (clock.contains(now)) {
          messages++;
          samples.add(now - sentAt);
        }
        if (now < clock.to && sent < MAX_MESSAGES_PER_CONNECTION) send();
        else resolve();
      };
      session.onLost = () => {
        errors++;
        resolve();
      };
      send();
    });

  // Every connection stops at the end of the window; the race bounds a server gone silent.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    guard = setTimeout(resolve, config.warmupMs + config.durationMs + 10000);
  });
  await Promise.race([Promise.all(sockets.map(drive)), deadline]);
  clearTimeout(guard);
  const cpu = await clock.cpu;
  await closeAll(sockets);
  const sorted = samples.sorted();
  const seconds = config.durationMs / 1000;
  return {
    scenario: "ws-echo",
    messages,
    seconds,
    msgsPerSec: messages / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
    cpu,
  };
}
