// Scenario 2: many idle WebSocket sessions. Opens them with bounded concurrency (handshakes/s),
// reads the server's RSS before and after (each reading after a GC request to the server, which
// runs a full GC when started with it exposed), then closes them all.

import { closeAll, engineWsUrl, openMany } from "./engine_ws.ts";
import { cpuMeter, rssBytes } from "./proc.ts";
import type { IdleResult, WsIdleConfig } from "./types.ts";
import { sleep } from "./window.ts";

// Sessions opened and closed first, so the "before" reading has the code paths loaded.
const WARMUP_CONNECTIONS = 200;

// Asks the server for a full GC (SIGUSR2, see bench/servers/) and lets it settle.
async function collectGarbage(pid: number, settleMs: number): Promise<void> {
  Deno.kill(pid, "SIGUSR2");
  await sleep(settleMs);
}

/**
 * Runs the scenario.
 *
 * @param config How many sessions, how many handshakes at once, and the settle time.
 * @returns Handshake rate and RSS per session.
 */
export async function runWsIdle(config: WsIdleConfig): Promise<IdleResult> {
  const url = engineWsUrl(config.url);
  const pid = config.serverPid;
  const warm = await openMany(url, WARMUP_CONNECTIONS, config.concurrency);
  await closeAll(warm.sockets);
  await sleep(config.settleMs);
  await collectGarbage(pid, config.settleMs);
  const rssBeforeBytes = rssBytes(pid);

  const stopMeter = cpuMeter(pid);
  const start = performance.now();
  const { sockets, errors: openErrors } = await openMany(
    url,
    config.connections,
    config.concurrency,
  );
  const openSeconds = (performance.now() - start) / 1000;
  const cpu = stopMeter();
  let lost = 0;
  for (const socket of sockets) socket.onLost = () => lost++;

  await sleep(config.settleMs);
  const rssAfterBytes = rssBytes(pid);
  await collectGarbage(pid, config.settleMs);
  const rssAfterGcBytes = rssBytes(pid);
  const openAtReading = sockets.length - lost;
  await closeAll(sockets);

  const opened = sockets.length;
  return {
    scenario: "ws-idle",
    opened,
    openAtReading,
    errors: openErrors + lost,
    openSeconds,
    handshakesPerSec: opened / openSeconds,
    rssBeforeBytes,
    rssAfterBytes,
    rssAfterGcBytes,
    rssPerConnBytes: (rssAfterBytes - rssBeforeBytes) / Math.max(1, opened),
    rssPerConnGcBytes: (rssAfterGcBytes - rssBeforeBytes) / Math.max(1, opened),
    cpu,
  };
}
