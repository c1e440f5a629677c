// Socket.IO load benchmark: edgeio's Socket.IO `Server` on Deno against the official socket.io 4
// on Node, in the same run, with the same load generator, printing ratios.
//
//   node_modules/.bin/deno run -A bench/socketio_load.ts [--json results.json] [--rounds 2] ...
//   (--help lists the options)
//
// Scenarios, each run on a fresh server process, ours and the official in turn, never both; the
// servers (bench/servers/socketio_*) take WebSocket transport only, official ping defaults:
//   1. Echo with ack: C connections, one `emit("echo", data, ack)` in flight each, for a fixed
//      window: msgs/s, p50/p99 round trip.
//   2. `io.emit` fan-out: N connected clients; a control client (on `/control`, out of the
//      broadcasts' reach) asks for passes of `io.emit("news", payload)`, paced so that a few
//      are under way at once. Server CPU time (utime + stime of /proc/<pid>/stat) from the first
//      measured request to the last delivery, per delivery; deliveries/s at the clients.
//   3. Room broadcasts: the same N clients spread over R rooms; a pass is one
//      `io.to(room).emit("news", payload)` per room. Server CPU per delivered message.
// The generator (bench/load/generator.ts) is a Deno process of its own speaking raw Engine.IO
// and Socket.IO frames (bench/load/socketio_ws.ts), so server and load do not share an event
// loop. Server, generator and other processes' CPU are printed too: on 2 cores a busy generator
// or a busy neighbour, not the server, can set the pace; CPU per delivery does not depend on it.

import { childFdLimit, runDriver } from "./load/children.ts";
import { compare, type Compared, rigFor, scenarioOptions } from "./load/compare.ts";
import { describeEnvironment, environment, packageVersion } from "./load/env.ts";
import { print } from "./load/print.ts";
import { echoTable, notes, targetsText } from "./load/report.ts";
import {
  broadcastNotes,
  broadcastTable,
  checkSocketIoTargets,
  SOCKETIO_COLUMNS,
} from "./load/socketio_report.ts";
import {
  parseSocketIoSettings,
  SOCKETIO_USAGE,
  type SocketIoSettings,
} from "./load/socketio_settings.ts";
import type { BroadcastResult, EchoResult, SioBroadcastConfig } from "./load/types.ts";

const FD_MARGIN = 256;
// The measured passes may take this long before the rest counts as lost.
const PASSES_TIMEOUT_MS = 20000;
// What a broadcast generator may take in all: connecting, joining, warm-up, passes, closing.
const BROADCAST_TIMEOUT_MS = 90000;

const ROOT = new URL("../", import.meta.url);
const RIG = rigFor("bench/servers/socketio_deno.ts", "bench/servers/socketio_node.mjs");

async function run(s: SocketIoSettings) {
  const options = <R>(label: string, score: (run: R) => number, timeoutMs: number) =>
    scenarioOptions(s.rounds, label, score, timeoutMs);
  const echo = await compare<EchoResult>(
    RIG,
    (url, serverPid) => ({
      scenario: "sio-echo",
      url,
      serverPid,
      connections: s.connections,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      payloadBytes: s.payloadBytes,
    }),
    options(
      "echo with ack",
      (run: EchoResult) => run.msgsPerSec,
      s.warmupMs + s.durationMs + 60000,
    ),
  );
  const broadcast = (rooms: number) => (url: string, serverPid: number): SioBroadcastConfig => ({
    scenario: "sio-broadcast",
    url,
    serverPid,
    clients: s.clients,
    rooms,
    warmupPasses: s.warmupPasses,
    passes: s.passes,
    batch: s.batch,
    window: s.window,
    payloadBytes: s.payloadBytes,
    timeoutMs: PASSES_TIMEOUT_MS,
  });
  // Less server CPU per delivery is better; a run short of deliveries ranks last.
  const byCpu = (run: BroadcastResult) =>
    run.deliveries < run.expected ? -Infinity : -run.serverCpuPerDeliveryUs;
  const fanout = await compare<BroadcastResult>(
    RIG,
    broadcast(0),
    options("io.emit fan-out", byCpu, BROADCAST_TIMEOUT_MS),
  );
  const rooms = await compare<BroadcastResult>(
    RIG,
    broadcast(s.rooms),
    options("room broadcasts", byCpu, BROADCAST_TIMEOUT_MS),
  );
  return { echo, fanout, rooms };
}

function printEcho(table: string, pair: Compared<EchoResult>): void {
  print(table);
  for (const note of notes(pair)) print(note);
  print();
}

function printBroadcast(table: string, pair: Compared<BroadcastResult>): void {
  print(table);
  for (const note of [...notes(pair), ...broadcastNotes(pair)]) print(note);
  print();
}

async function main(): Promise<void> {
  if (Deno.args.includes("--help")) return print(SOCKETIO_USAGE);
  const s = parseSocketIoSettings(Deno.args);
  const fds = await childFdLimit();
  if (fds < s.clients + FD_MARGIN) {
    throw new Error(`open-files limit ${fds} is too low for --clients ${s.clients}`);
  }
  const env = await environment(ROOT);
  const socketIo = await packageVersion(ROOT, "socket.io");
  const { echo, fanout, rooms } = await run(s);
  const targets = checkSocketIoTargets(echo, fanout, rooms);

  const rounds = s.rounds > 1 ? `, best of ${s.rounds} rounds each` : "";
  const passes = `${s.passes} measured passes after ${s.warmupPasses}, ` +
    `at most ${s.window} under way, ${s.payloadBytes}-byte string`;
  print(`Socket.IO load: edgeio (Deno) vs socket.io ${socketIo} (Node)${rounds}`);
  print(describeEnvironment(env));
  print();
  printEcho(
    echoTable(
      `1. Echo with ack: ${s.connections} connections × 1 in flight, ` +
        `${s.durationMs / 1000} s after ${s.warmupMs / 1000} s warm-up, ` +
        `${s.payloadBytes}-byte string`,
      echo,
      SOCKETIO_COLUMNS,
    ),
    echo,
  );
  printBroadcast(
    broadcastTable(
      `2. io.emit fan-out: ${s.clients} clients, a pass = 1 io.emit; ${passes}`,
      fanout,
    ),
    fanout,
  );
  printBroadcast(
    broadcastTable(
      `3. Room broadcasts: ${s.clients} clients in ${s.rooms} rooms, ` +
        `a pass = 1 io.to(room).emit per room; ${passes}`,
      rooms,
    ),
    rooms,
  );
  print(targetsText(targets));

  if (s.json !== undefined) {
    const { json: _, ...settings } = s;
    const report = {
      date: new Date().toISOString(),
      environment: { ...env, socketIo },
      settings,
      scenarios: { "echo-ack": echo, "fanout": fanout, "rooms": rooms },
      targets,
    };
    await Deno.writeTextFile(s.json, JSON.stringify(report, null, 2) + "\n");
    print(`\nresults written to ${s.json}`);
  }
}

// Every child is stopped on Ctrl-C or SIGTERM, as on an error or at the end.
await runDriver(main);
