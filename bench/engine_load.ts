// Engine.IO load benchmark: edgeio's EngineServer on Deno against the official engine.io 6 on
// Node, in the same run, with the same load generator, printing ratios.
//
//   node_modules/.bin/deno run -A bench/engine_load.ts [--json results.json] [--rounds 2] ...
//   (--help lists the options)
//
// Scenarios, each run on a fresh server process, ours and the official in turn, never both:
//   1. WebSocket echo: C connections, one message in flight each: msgs/s, p50/p99 round trip.
//   2. Idle WebSockets: open N sessions (bounded concurrency): handshakes/s, server RSS per
//      session (VmRSS before and after), then close them all.
//   3. Long-polling echo: C sessions, one message in flight each: msgs/s, p50/p99 round trip.
// The servers are bench/servers/*; the generator (bench/load/generator.ts) is a Deno process of
// its own speaking raw Engine.IO frames, so server and load do not share an event loop. Server,
// generator and other processes' CPU are printed too: on 2 cores a busy generator or a busy
// neighbour, not the server, can set the pace.

import { childFdLimit, runDriver } from "./load/children.ts";
import { compare, type Compared, rigFor, scenarioOptions } from "./load/compare.ts";
import { describeEnvironment, environment } from "./load/env.ts";
import { print } from "./load/print.ts";
import { checkTargets, echoTable, idleTable, notes, targetsText } from "./load/report.ts";
import { parseSettings, type Settings, USAGE } from "./load/settings.ts";
import type { EchoResult, IdleResult } from "./load/types.ts";

const FD_MARGIN = 256;
const IDLE_TIMEOUT_MS = 120000;

const ROOT = new URL("../", import.meta.url);
const RIG = rigFor("bench/servers/edgeio_deno.ts", "bench/servers/engine_io_node.mjs");

const byMsgs = (run: EchoResult) => run.msgsPerSec;

async function run(s: Settings) {
  const options = <R>(label: string, score: (run: R) => number, timeoutMs: number) =>
    scenarioOptions(s.rounds, label, score, timeoutMs);
  const echoTimeoutMs = s.warmupMs + s.durationMs + 60000;
  const echo = { warmupMs: s.warmupMs, durationMs: s.durationMs, payloadBytes: s.payloadBytes };
  const ws = await compare<EchoResult>(
    RIG,
    (url, serverPid) => ({
      scenario: "ws-echo",
      url,
      serverPid,
      connections: s.connections,
      ...echo,
    }),
    options("websocket echo", byMsgs, echoTimeoutMs),
  );
  const idle = await compare<IdleResult>(
    RIG,
    (url, serverPid) => ({
      scenario: "ws-idle",
      url,
      serverPid,
      connections: s.idle,
      concurrency: s.idleConcurrency,
      settleMs: 1000,
    }),
    options("idle websockets", (run: IdleResult) => run.handshakesPerSec, IDLE_TIMEOUT_MS),
  );
  const polling = await compare<EchoResult>(
    RIG,
    (url, serverPid) => ({
      scenario: "polling-echo",
      url,
      serverPid,
      connections: s.connections,
      ...echo,
    }),
    options("polling echo", byMsgs, echoTimeoutMs),
  );
  return { ws, idle, polling };
}

function printTable(table: string, pair: Compared<EchoResult> | Compared<IdleResult>): void {
  print(table);
  for (const note of notes(pair)) print(note);
  print();
}

async function main(): Promise<void> {
  if (Deno.args.includes("--help")) return print(USAGE);
  const s = parseSettings(Deno.args);
  const fds = await childFdLimit();
  if (fds < s.idle + FD_MARGIN) {
    throw new Error(`open-files limit ${fds} is too low for --idle ${s.idle}: lower --idle`);
  }
  const env = await environment(ROOT);
  const { ws, idle, polling } = await run(s);
  const targets = checkTargets(ws, idle, polling);

  const timing = `${s.durationMs / 1000} s after ${s.warmupMs / 1000} s warm-up, ` +
    `${s.payloadBytes}-byte payload`;
  const rounds = s.rounds > 1 ? `, best of ${s.rounds} rounds each` : "";
  print(`Engine.IO load: edgeio (Deno) vs engine.io (Node)${rounds}`);
  print(describeEnvironment(env));
  print();
  printTable(
    echoTable(`1. WebSocket echo: ${s.connections} connections × 1 in flight, ${timing}`, ws),
    ws,
  );
  printTable(
    idleTable(
      `2. Idle WebSockets: ${s.idle} sessions, ${s.idleConcurrency} handshakes at once`,
      idle,
    ),
    idle,
  );
  printTable(
    echoTable(`3. Long-polling echo: ${s.connections} sessions × 1 in flight, ${timing}`, polling),
    polling,
  );
  print(targetsText(targets));

  if (s.json !== undefined) {
    const { json: _, ...settings } = s;
    const report = {
      date: new Date().toISOString(),
      environment: env,
      settings,
      scenarios: { "ws-echo": ws, "ws-idle": idle, "polling-echo": polling },
      targets,
    };
    await Deno.writeTextFile(s.json, JSON.stringify(report, null, 2) + "\n");
    print(`\nresults written to ${s.json}`);
  }
}

// Every child is stopped on Ctrl-C or SIGTERM, as on an error or at the end.
await runDriver(main);
