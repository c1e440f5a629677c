// Scenario 3: long-polling echo round trips. Each session does the handshake GET, then loops:
// POST `4<payload>` while a GET waits, and GET again until the echo arrives. Echoes that arrive
// inside the measured window (after the warm-up) count, with their round-trip times. Each
// session has two keep-alive connections, one for GETs and one for POSTs, as a browser would.

import { Http1Connection } from "./http1.ts";
import { echoResult } from "./echo_loop.ts";
import { Samples } from "./stats.ts";
import type { EchoResult, PollingEchoConfig } from "./types.ts";
import { measureWindow } from "./window.ts";

const SEPARATOR = "\x1e";
const REQUEST_TIMEOUT_MS = 10000;
// GETs per message before the session gives up (each answers at least a packet or a noop).
const MAX_POLLS_PER_MESSAGE = 20;
const MAX_MESSAGES_PER_SESSION = 10_000_000;

async function request(
  connection: Http1Connection,
  method: "GET" | "POST",
  path: string,
  body?: string,
): Promise<string> {
  const response = await connection.request(method, path, body);
  if (response.status !== 200) throw new Error(`${method} ${response.status}: ${response.body}`);
  return response.body;
}

// Closes both connections (failing the request under way) when no response came for
// REQUEST_TIMEOUT_MS. One check a second per session: a timer per request would cost the
// generator more than the request.
function watchdog(connections: Http1Connection[]): { progress(): void; stop(): void } {
  let last = performance.now();
  const timer = setInterval(() => {
    if (performance.now() - last > REQUEST_TIMEOUT_MS) { for (const c of connections) c.close(); }
  }, 1000);
  return { progress: () => last = performance.now(), stop: () => clearInterval(timer) };
}

/**
 * Runs the scenario.
 *
 * @param config Sessions, payload and timing.
 * @returns Throughput, latency percentiles and CPU shares.
 */
export async function runPollingEcho(config: PollingEchoConfig): Promise<EchoResult> {
  const payload = "4" + "x".repeat(config.payloadBytes);
  const samples = new Samples();
  let messages = 0;
  let errors = 0;
  const clock = measureWindow(config.serverPid, config.warmupMs, config.durationMs);

  const exchange = async (getter: Http1Connection, poster: Http1Connection, alive: () => void) => {
    const open = await request(getter, "GET", "/engine.io/?EIO=4&transport=polling");
    if (open[0] !== "0") throw new Error(`handshake answered ${open.slice(0, 40)}`);
    const { sid } = JSON.parse(open.slice(1)) as { sid: string };
    const path = `/engine.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
    let pongs = 0;
    for (let sent = 0; sent < MAX_MESSAGES_PER_SESSION; sent++) {
      const sentAt = performance.now();
      if (sentAt >= clock.to) break;
      const posted = request(poster, "POST", path, payload);
      let echoed = false;
      for (let polls = 0; !echoed && polls < MAX_POLLS_PER_MESSAGE; polls++) {
        const polled = await request(getter, "GET", path);
        alive();
        for (const packet of polled.split(SEPARATOR)) {
          if (packet === payload) echoed = true;
          else if (packet === "2") pongs++;
          else if (packet[0] === "1") throw new Error("server closed the session");
        }
      }
      if ((await posted) !== "ok") throw new Error("POST not answered ok");
      if (!echoed) throw new Error("no echo");
      const now = performance.now();
      if (clock.contains(now)) {
        messages++;
        samples.add(now - sentAt);
      }
      // Pongs go after the message POST: the server refuses overlapping POSTs.
      for (; pongs > 0; pongs--) await request(poster, "POST", path, "3");
    }
    await request(poster, "POST", path, "1");
  };

  const session = async () => {
    const getter = await Http1Connection.open(config.url);
    const poster = await Http1Connection.open(config.url).catch((error) => {
      getter.close();
      throw error;
    });
    const guard = watchdog([getter, poster]);
    try {
      await exchange(getter, poster, guard.progress);
    } finally {
      guard.stop();
      getter.close();
      poster.close();
    }
  };

  await Promise.all(
    Array.from({ length: config.connections }, () =>
      session().catch(() => {
        errors++;
      })),
  );
  const cpu = await clock.cpu;
  return echoResult("polling-echo", { messages, samples, errors }, config.durationMs, cpu);
}
