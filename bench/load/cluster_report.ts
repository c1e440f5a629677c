// The table and notes of bench/cluster_load.ts: edgeio over Upstash REST beside the official
// socket.io over redis TCP, as markdown.

import { ratio } from "./report.ts";
import type { Drained, SideResult } from "./cluster_scenario.ts";

type Better = "higher" | "lower" | "neither";
type Cell = number | string | undefined;

interface Line {
  metric: string;
  ours: Cell;
  official: Cell;
  better: Better;
  digits: number;
}

/** The column headings. */
export const CLUSTER_COLUMNS = {
  ours: "edgeio (Upstash REST)",
  official: "official (redis TCP)",
} as const;

function format(cell: Cell, digits: number): string {
  if (cell === undefined) return "n/a";
  if (typeof cell === "string") return cell;
  if (!Number.isFinite(cell)) return "n/a";
  return cell.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function formatRatio(line: Line): string {
  const { ours, official, better } = line;
  if (better === "neither" || typeof ours !== "number" || typeof official !== "number") return "";
  const value = ratio(ours, official, better);
  const how = better === "higher" ? "ours/official" : "official/ours";
  return Number.isFinite(value) ? `${value.toFixed(2)}× (${how})` : "n/a";
}

function markdown(lines: Line[]): string {
  const header = [
    "metric",
    CLUSTER_COLUMNS.ours,
    CLUSTER_COLUMNS.official,
    "ratio (>1 = edgeio better)",
  ];
  const body = lines.map((l) => [
    l.metric,
    format(l.ours, l.digits),
    format(l.official, l.digits),
    formatRatio(l),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join(" | ")
    } |`;
  const rule = `|${
    widths.map((w, i) => i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`).join("|")
  }|`;
  return [line(header), rule, ...body.map(line)].join("\n");
}

// What did not arrive, and why the wait ended when something is missing.
function lost(phase: { expected: number; received: number; drained: Drained }): string {
  const missing = (phase.expected - phase.received).toLocaleString("en-US");
  if (phase.drained === "all") return missing;
  return `${missing} (${phase.drained === "cap" ? "still arriving at the cap" : "stalled"})`;
}

// All requests, those to /pipeline, and broadcasts per /pipeline request.
function requestsText(requests: Record<string, number> | undefined, sent: number): string {
  if (!requests) return "none";
  const all = Object.values(requests).reduce((sum, n) => sum + n, 0);
  const pipelines = requests["/pipeline"] ?? 0;
  return `${all.toLocaleString("en-US")}, ${pipelines.toLocaleString("en-US")} pipelines ` +
    `(${(sent / Math.max(1, pipelines)).toFixed(1)} broadcasts each)`;
}

// µs of CPU per item: `seconds` of CPU spread over `count` items.
function perItem(seconds: number, count: number): number {
  return seconds / Math.max(1, count) * 1e6;
}

type Flood = NonNullable<SideResult["flood"]>;

// A row read off the throughput phase, n/a on a side that did not get there.
function flood(pick: (f: Flood, r: SideResult) => Cell): (r: SideResult) => Cell {
  return (r) => r.flood && pick(r.flood, r);
}

// The rows: a metric, how to read it off a side, which way is better, decimals.
const ROWS: [string, (r: SideResult) => Cell, Better?, number?][] = [
  ["clients on B", (r) => r.clients],
  ["latency: broadcasts/s asked of A (fixed rate)", (r) => r.latency?.rate, "neither", 1],
  ["latency: A emit → client on B, p50, ms", (r) => r.latency?.p50, "lower", 2],
  ["latency: A emit → client on B, p99, ms", (r) => r.latency?.p99, "lower", 2],
  ["latency: A emit → client on B, max, ms", (r) => r.latency?.max, "neither", 2],
  ["latency: same-node reference (client on A), p50, ms", (r) => r.latency?.local.p50, "lower", 2],
  ["latency: same-node reference (client on A), p99, ms", (r) => r.latency?.local.p99, "lower", 2],
  [
    "latency: deliveries on B",
    (r) => r.latency && `${r.latency.received} of ${r.latency.expected}`,
  ],
  ["latency: lost", (r) => r.latency && lost(r.latency)],
  [
    "latency: HTTP requests to the REST endpoint",
    (r) => r.latency && requestsText(r.latency.restRequests, r.latency.sent),
  ],
  ["latency: other processes' CPU, % of a core", (r) => r.latency && r.latency.others * 100],
  ["flood: broadcasts sent by A (as fast as it can)", flood((f) => f.sent)],
  ["flood: A's emit rate, broadcasts/s", flood((f) => f.emitRate)],
  ["flood: broadcasts still waiting in A when it was done", flood((f) => f.pendingAtA)],
  ["flood: deliveries/s at B's clients", flood((f) => f.deliveriesPerSec), "higher"],
  [
    "flood: broadcasts/s reaching B (deliveries/s ÷ clients)",
    flood((f, r) => f.deliveriesPerSec / r.clients),
    "higher",
  ],
  ["flood: lost = sent × clients − received", flood(lost)],
  ["flood: first request → last delivery, s", flood((f) => f.seconds), "neither", 2],
  ["flood: latency, backlog included (A's clock), p50, ms", flood((f) => f.p50), "neither", 1],
  ["flood: latency, backlog included (A's clock), p99, ms", flood((f) => f.p99), "neither", 1],
  ["flood: B CPU per delivery, µs", flood((f) => perItem(f.cpu.b, f.received)), "lower", 2],
  ["flood: A CPU per broadcast, µs", flood((f) => perItem(f.cpu.a, f.sent)), "lower", 2],
  [
    "flood: REST endpoint CPU per broadcast, µs",
    flood((f, r) => r.key === "ours" ? perItem(f.cpu.rest, f.sent) : "none"),
    "neither",
    2,
  ],
  [
    "flood: HTTP requests to the REST endpoint",
    flood((f) => requestsText(f.restRequests, f.sent)),
  ],
  [
    "flood: redis-server CPU per broadcast, µs",
    flood((f) => perItem(f.cpu.redis, f.sent)),
    "neither",
    2,
  ],
  ["flood: clients' process CPU, % of a core", flood((f) => f.cpu.bench / f.wallSeconds * 100)],
  ["flood: other processes' CPU, % of a core", flood((f) => f.cpu.others / f.wallSeconds * 100)],
  [
    "adapter errors on A / B (messages given up)",
    (r) =>
      r.errors &&
      `${r.errors.a.count} / ${r.errors.b.count} (${r.errors.a.lost + r.errors.b.lost})`,
  ],
  ["out-of-order or repeated / disconnects on B", (r) => `${r.outOfOrder} / ${r.disconnects}`],
];

/**
 * The table of a run.
 *
 * @param ours edgeio's results.
 * @param official The official's results.
 * @returns Markdown.
 */
export function clusterTable(ours: SideResult, official: SideResult): string {
  return markdown(
    ROWS.map(([metric, pick, better = "neither", digits = 0]) => ({
      metric,
      ours: pick(ours),
      official: pick(official),
      better,
      digits,
    })),
  );
}
