// Tables of results: one per scenario, ours beside official with the ratio, and the targets.

import { DISTURBED } from "./compare.ts";
import type { EchoResult, IdleResult, LoadResult } from "./types.ts";

/** Which way a metric is better; the ratio is oriented so that above 1 means ours is better. */
type Better = "higher" | "lower" | "neither";

/** One line of a table. */
export interface Row {
  metric: string;
  ours: number;
  official: number;
  better: Better;
  digits: number;
}

/** A result of ours and the official's for one scenario. */
export interface Pair<R> {
  ours: R;
  official: R;
}

const KIB = 1024;
const MIB = 1024 * 1024;

function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * The ratio of a metric, oriented so that above 1 means ours is better.
 *
 * @param ours Our value.
 * @param official The official server's value.
 * @param better Which way is better.
 * @returns ours/official for higher-is-better, official/ours for lower-is-better.
 */
export function ratio(ours: number, official: number, better: Better): number {
  if (better === "higher") return ours / official;
  if (better === "lower") return official / ours;
  return NaN;
}

function formatRatio(row: Row): string {
  if (row.better === "neither") return "";
  const value = ratio(row.ours, row.official, row.better);
  const how = row.better === "higher" ? "ours/official" : "official/ours";
  return Number.isFinite(value) ? `${value.toFixed(2)}× (${how})` : "n/a";
}

/** The servers' column headings of the Engine.IO benchmark. */
export const ENGINE_COLUMNS: Pair<string> = { ours: "edgeio (Deno)", official: "engine.io (Node)" };

/**
 * A table: a heading, then one line per row with both values and the ratio.
 *
 * @param title The heading.
 * @param rows The rows.
 * @param columns The servers' column headings.
 * @returns The table text.
 */
export function table(title: string, rows: Row[], columns: Pair<string> = ENGINE_COLUMNS): string {
  const header = ["metric", columns.ours, columns.official, "ratio, >1 = ours better"];
  const body = rows.map((row) => [
    row.metric,
    formatNumber(row.ours, row.digits),
    formatNumber(row.official, row.digits),
    formatRatio(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))
      .join("  ").trimEnd();
  return [title, line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)]
    .join("\n");
}

/**
 * The CPU rows every table ends with: server, generator, other processes.
 *
 * @param pair Both results.
 * @returns The rows.
 */
export function cpuRows(pair: Pair<LoadResult>): Row[] {
  const { ours: o, official: x } = pair;
  return [
    row("server CPU, % of a core", o.cpu.server * 100, x.cpu.server * 100, "neither"),
    row("generator CPU, % of a core", o.cpu.generator * 100, x.cpu.generator * 100, "neither"),
    row("other processes' CPU, % of a core", o.cpu.others * 100, x.cpu.others * 100, "neither"),
  ];
}

/**
 * A row.
 *
 * @param metric Its name.
 * @param ours Our value.
 * @param official The official server's value.
 * @param better Which way is better.
 * @param digits Decimals shown.
 * @returns The row.
 */
export function row(
  metric: string,
  ours: number,
  official: number,
  better: Better,
  digits = 0,
): Row {
  return { metric, ours, official, better, digits };
}

/**
 * The table of an echo scenario.
 *
 * @param title The heading.
 * @param pair Both results.
 * @returns The table text.
 */
export function echoTable(
  title: string,
  pair: Pair<EchoResult>,
  columns: Pair<string> = ENGINE_COLUMNS,
): string {
  const { ours: o, official: x } = pair;
  return table(title, [
    row("msgs/s", o.msgsPerSec, x.msgsPerSec, "higher"),
    row("p50 round trip, ms", o.p50Ms, x.p50Ms, "lower", 2),
    row("p99 round trip, ms", o.p99Ms, x.p99Ms, "lower", 2),
    ...cpuRows(pair),
    row(
      "msgs per server CPU-second",
      o.msgsPerSec / o.cpu.server,
      x.msgsPerSec / x.cpu.server,
      "higher",
    ),
    row("failed connections", o.errors, x.errors, "neither"),
  ], columns);
}

/**
 * The table of the idle-connections scenario.
 *
 * @param title The heading.
 * @param pair Both results.
 * @returns The table text.
 */
export function idleTable(title: string, pair: Pair<IdleResult>): string {
  const { ours: o, official: x } = pair;
  return table(title, [
    row("handshakes/s", o.handshakesPerSec, x.handshakesPerSec, "higher"),
    row("sessions opened", o.opened, x.opened, "neither"),
    row("failed or lost", o.errors, x.errors, "neither"),
    row("server RSS before, MiB", o.rssBeforeBytes / MIB, x.rssBeforeBytes / MIB, "neither", 1),
    row("server RSS all open, MiB", o.rssAfterBytes / MIB, x.rssAfterBytes / MIB, "neither", 1),
    row("RSS per connection, KiB", o.rssPerConnBytes / KIB, x.rssPerConnBytes / KIB, "lower", 1),
    row(
      "  the same after a full GC, KiB",
      o.rssPerConnGcBytes / KIB,
      x.rssPerConnGcBytes / KIB,
      "lower",
      1,
    ),
    ...cpuRows(pair).map((r) => ({ ...r, metric: `${r.metric} (opening)` })),
  ]);
}

/** A target the team set, and whether this run met it. */
export interface TargetCheck {
  name: string;
  /** The target as text, e.g. "≥ 1.5×". */
  target: string;
  /** The value this run measured, in the target's unit. */
  actual: number;
  unit: string;
  met: boolean;
  /** A related figure that helps read the verdict, if any. */
  context?: string;
}

/**
 * Checks a value against a bound.
 *
 * @param name What is checked.
 * @param actual The value.
 * @param bound Which side of the limit passes.
 * @param limit The limit.
 * @param unit The unit, as printed after the numbers.
 * @returns The check.
 */
export function check(
  name: string,
  actual: number,
  bound: "≥" | "≤",
  limit: number,
  unit: string,
): TargetCheck {
  const met = bound === "≥" ? actual >= limit : actual <= limit;
  return { name, target: `${bound} ${limit}${unit}`, actual, unit, met };
}

// A throughput target, with the same ratio per server CPU-second beside it: when the 2 cores
// run out, msgs/s tells about the whole machine and the per-CPU figure about the server.
/**
 * A throughput target (ours/official msgs/s at least `limit`), with the ratio per server
 * CPU-second as context.
 *
 * @param name What is checked.
 * @param pair Both results.
 * @param limit The least ratio that passes.
 * @returns The check.
 */
export function throughput(name: string, pair: Pair<EchoResult>, limit: number): TargetCheck {
  const { ours, official } = pair;
  const perCpu = ratio(
    ours.msgsPerSec / ours.cpu.server,
    official.msgsPerSec / official.cpu.server,
    "higher",
  );
  const context = `per server CPU-second: ${perCpu.toFixed(2)}×`;
  return {
    ...check(name, ratio(ours.msgsPerSec, official.msgsPerSec, "higher"), "≥", limit, "×"),
    context,
  };
}

/**
 * The targets of the team, checked against a run: WebSocket msgs/s at least 1.5× the
 * official, polling msgs/s at least 2.5×, RSS per idle WebSocket connection at most 26 KiB.
 *
 * @param ws The WebSocket echo results.
 * @param idle The idle-connections results.
 * @param polling The polling echo results.
 * @returns One check per target.
 */
export function checkTargets(
  ws: Pair<EchoResult>,
  idle: Pair<IdleResult>,
  polling: Pair<EchoResult>,
): TargetCheck[] {
  const rss = check(
    "RSS per idle websocket connection",
    idle.ours.rssPerConnBytes / KIB,
    "≤",
    26,
    " KiB",
  );
  rss.context = `after a full GC: ${(idle.ours.rssPerConnGcBytes / KIB).toFixed(1)} KiB`;
  return [
    throughput("websocket msgs/s, ours/official", ws, 1.5),
    throughput("polling msgs/s, ours/official", polling, 2.5),
    rss,
  ];
}

/**
 * The targets as text.
 *
 * @param checks From {@linkcode checkTargets}.
 * @returns One line per target.
 */
export function targetsText(checks: TargetCheck[]): string {
  const lines = checks.map((c) => {
    const verdict = c.met ? "met    " : "NOT MET";
    const context = c.context ? `; ${c.context}` : "";
    return `  ${verdict}  ${c.name}: ${
      c.actual.toFixed(2)
    }${c.unit} (target ${c.target}${context})`;
  });
  return ["Targets", ...lines].join("\n");
}

/** Above this share of a core, the generator may have set the pace instead of the server. */
const BUSY_GENERATOR = 0.9;

/**
 * Notes on how far a scenario's numbers can be trusted: other processes used the cores, or the
 * generator was near a full core.
 *
 * @param pair Both results.
 * @returns One line per note; none when all was well.
 */
export function notes(pair: Pair<LoadResult>): string[] {
  const found: string[] = [];
  const others = Math.max(pair.ours.cpu.others, pair.official.cpu.others);
  if (others > DISTURBED) {
    found.push(
      `note: other processes used up to ${Math.round(others * 100)}% of a core during this ` +
        "scenario: the numbers are noisy (raise --rounds, or use a quieter machine)",
    );
  }
  const generator = Math.max(pair.ours.cpu.generator, pair.official.cpu.generator);
  if (generator > BUSY_GENERATOR && pair.ours.scenario === "sio-broadcast") {
    found.push(
      `note: the generator used up to ${Math.round(generator * 100)}% of a core: it may have ` +
        "set the pace of deliveries/s; server CPU per delivery compares the servers",
    );
  } else if (generator > BUSY_GENERATOR && pair.ours.scenario !== "ws-idle") {
    found.push(
      `note: the generator used up to ${Math.round(generator * 100)}% of a core: the load may ` +
        "have set the pace; msgs per server CPU-second compares the servers",
    );
  }
  return found;
}
