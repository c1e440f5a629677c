// Socket.IO echo with acks: each connection keeps one `echo` event in flight, as a client's
// `socket.emit("echo", data, ack)` sends it (`42<id>["echo",data]`, the ack id counting up),
// and awaits the server's ack (`43<id>[data]`) before sending the next. Acks that arrive inside
// the measured window (after the warm-up) count, with their round-trip times.

import { connectMany, disconnectAll, type SocketIoClient, socketIoWsUrl } from "./socketio_ws.ts";
import { percentile, Samples } from "./stats.ts";
import type { EchoResult, SioEchoConfig } from "./types.ts";
import { measureWindow } from "./window.ts";

// A hard cap on messages per connection, far above what a few seconds can reach.
const MAX_MESSAGES_PER_CONNECTION = 10_000_000;

/**
 * Runs the scenario.
 *
 * @param config Connections, payload and timing.
 * @returns Throughput, latency percentiles and CPU shares.
 */
export async function runSioEcho(config: SioEchoConfig): Promise<EchoResult> {
  const url = socketIoWsUrl(config.url);
  const { sockets, errors: openErrors } = await connectMany(
    url,
    config.connections,
    config.connections,
  );
  const json = JSON.stringify("x".repeat(config.payloadBytes));
  const samples = new Samples();
  let messages = 0;
  let errors = openErrors;
  const clock = measureWindow(config.serverPid, config.warmupMs, config.durationMs);

  const drive = ({ engine }: SocketIoClient) =>
    new Promise<void>((resolve) => {
      let sentAt = 0;
      let id = 0;
      let expected = "";
      const send = () => {
        id++;
        expected = `43${id}[${json}]`;
        sentAt = performance.now();
        engine.send(`42${id}["echo",${json}]`);
      };
      engine.onMessage = (packet) => {
        const now = performance.now();
        if (packet !== expected) {
          errors++;
          return resolve();
        }
        if (clock.contains(now)) {
          messages++;
          samples.add(now - sentAt);
        }
        if (now < clock.to && id < MAX_MESSAGES_PER_CONNECTION) send();
        else resolve();
      };
      engine.onLost = () => {
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
  await disconnectAll(sockets);
  const sorted = samples.sorted();
  const seconds = config.durationMs / 1000;
  return {
    scenario: "sio-echo",
    messages,
    seconds,
    msgsPerSec: messages / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
    cpu,
  };
}
