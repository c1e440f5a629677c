// Tables and targets of bench/socketio_load.ts: ours beside the official socket.io, with ratios.

import {
  check,
  cpuRows,
  type Pair,
  ratio,
  row,
  table,
  type TargetCheck,
  throughput,
} from "./report.ts";
import type { BroadcastResult, EchoResult } from "./types.ts";

/** The servers' column headings. */
export const SOCKETIO_COLUMNS: Pair<string> = {
  ours: "edgeio (Deno)",
  official: "socket.io (Node)",
};

/**
 * The table of a broadcast scenario.
 *
 * @param title The heading.
 * @param pair Both results.
 * @returns The table text.
 */
export function broadcastTable(title: string, pair: Pair<BroadcastResult>): string {
  const { ours: o, official: x } = pair;
  return table(title, [
    row(
      "server CPU per delivery, µs",
      o.serverCpuPerDeliveryUs,
      x.serverCpuPerDeliveryUs,
      "lower",
      2,
    ),
    row(
      "  user space, µs",
      o.serverUserSeconds / o.deliveries * 1e6,
      x.serverUserSeconds / x.deliveries * 1e6,
      "lower",
      2,
    ),
    row(
      "  kernel, µs",
      o.serverSystemSeconds / o.deliveries * 1e6,
      x.serverSystemSeconds / x.deliveries * 1e6,
      "lower",
      2,
    ),
    row("deliveries/s", o.deliveriesPerSec, x.deliveriesPerSec, "higher"),
    row("deliveries", o.deliveries, x.deliveries, "neither"),
    row("  of expected", o.expected, x.expected, "neither"),
    row("measured time, s", o.seconds, x.seconds, "neither", 2),
    row("server CPU time, s", o.serverCpuSeconds, x.serverCpuSeconds, "neither", 2),
    ...cpuRows(pair),
    row("clients connected", o.clients, x.clients, "neither"),
    row("failed or lost clients, wrong frames", o.errors, x.errors, "neither"),
  ], SOCKETIO_COLUMNS);
}

/**
 * Notes on a broadcast scenario that did not deliver everything.
 *
 * @param pair Both results.
 * @returns One line per server short of deliveries; none when all arrived.
 */
export function broadcastNotes(pair: Pair<BroadcastResult>): string[] {
  const found: string[] = [];
  for (const key of ["ours", "official"] as const) {
    const run = pair[key];
    if (run.deliveries < run.expected || run.errors > 0) {
      found.push(
        `note: ${SOCKETIO_COLUMNS[key]} delivered ${run.deliveries} of ${run.expected}, ` +
          `${run.errors} errors: its figures cover what arrived`,
      );
    }
  }
  return found;
}

// Server CPU per delivery, ours/official, at most `limit`; the deliveries/s ratio beside it.
function cpuPerDelivery(name: string, pair: Pair<BroadcastResult>, limit: number): TargetCheck {
  const { ours, official } = pair;
  const actual = ours.serverCpuPerDeliveryUs / official.serverCpuPerDeliveryUs;
  const rate = ratio(ours.deliveriesPerSec, official.deliveriesPerSec, "higher");
  return {
    ...check(name, actual, "≤", limit, "×"),
    context: `${ours.serverCpuPerDeliveryUs.toFixed(2)} vs ` +
      `${official.serverCpuPerDeliveryUs.toFixed(2)} µs; deliveries/s ${rate.toFixed(2)}×`,
  };
}

/**
 * The targets of the team, checked against a run: echo with acks at least 1.45× the official
 * msgs/s; server CPU per `io.emit` delivery and per room delivery at most 0.85× the official.
 *
 * @param echo The echo-with-ack results.
 * @param fanout The `io.emit` results.
 * @param rooms The room results.
 * @returns One check per target.
 */
export function checkSocketIoTargets(
  echo: Pair<EchoResult>,
  fanout: Pair<BroadcastResult>,
  rooms: Pair<BroadcastResult>,
): TargetCheck[] {
  return [
    throughput("echo with ack msgs/s, ours/official", echo, 1.45),
    cpuPerDelivery("server CPU per io.emit delivery, ours/official", fanout, 0.85),
    cpuPerDelivery("server CPU per room-broadcast delivery, ours/official", rooms, 0.85),
  ];
}
