// Runs one scenario against each server in turn: a fresh server process per run, one
// generator process against it, never two servers at once.

import { runToEnd, startServer } from "./children.ts";
import type { Pair } from "./report.ts";
import type { LoadConfig, LoadResult } from "./types.ts";

/** A server under test. */
export interface Server {
  key: keyof Pair<unknown>;
  command: string;
  args: string[];
}

/** One scenario's results: the reported run of each server, and all runs. */
export interface Compared<R> extends Pair<R> {
  rounds: { ours: R[]; official: R[] };
}

/** How to run the generator and where. */
export interface Rig {
  /** The project root: the working directory of every process. */
  root: string;
  /** The Deno executable. */
  deno: string;
  /** The generator's `deno run` arguments before its config. */
  generatorArgs: string[];
  servers: Server[];
}

const ROOT = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();

/**
 * The rig of a benchmark: ours on Deno (`ourScript`) against the official server on Node
 * (`officialScript`), each able to run a full GC on SIGUSR2 before a memory reading, and the
 * shared generator.
 *
 * @param ourScript Our server's entry, relative to the project root.
 * @param officialScript The official server's entry, relative to the project root.
 * @returns The rig.
 */
export function rigFor(ourScript: string, officialScript: string): Rig {
  return {
    root: ROOT,
    deno: Deno.execPath(),
    // All permissions: Deno grants reads of /proc/<pid>/ only with --allow-all.
    generatorArgs: ["run", "--allow-all", "bench/load/generator.ts"],
    servers: [
      {
        key: "ours",
        command: Deno.execPath(),
        args: [
          "run",
          "--allow-net=127.0.0.1",
          "--allow-env",
          "--v8-flags=--expose-gc",
          ourScript,
        ],
      },
      { key: "official", command: "node", args: ["--expose-gc", officialScript] },
    ],
  };
}

/**
 * The options of one compared scenario, its progress going to stderr (stdout holds the report).
 *
 * @param rounds How many rounds.
 * @param label The scenario's label in progress lines.
 * @param score Ranks a run (higher is better).
 * @param timeoutMs How long one run may take.
 * @returns The options for {@linkcode compare}.
 */
export function scenarioOptions<R>(
  rounds: number,
  label: string,
  score: (run: R) => number,
  timeoutMs: number,
): { rounds: number; score: (run: R) => number; timeoutMs: number; progress: (t: string) => void } {
  return {
    rounds,
    score,
    timeoutMs,
    progress: (text) => Deno.stderr.writeSync(encoder.encode(`  ${label}: ${text}\n`)),
  };
}

async function measure(
  rig: Rig,
  server: Server,
  config: (url: string, pid: number) => LoadConfig,
  timeoutMs: number,
): Promise<LoadResult> {
  const running = await startServer(server.command, server.args, rig.root);
  try {
    const text = JSON.stringify(config(running.url, running.pid));
    const line = await runToEnd(rig.deno, [...rig.generatorArgs, text], rig.root, timeoutMs);
    return JSON.parse(line) as LoadResult;
  } finally {
    await running.stop();
  }
}

/** Above this share of a core taken by other processes, a run counts as disturbed. */
export const DISTURBED = 0.25;

// The best run (by `score`) of those other processes left alone, or of all if none was.
function best<R extends LoadResult>(runs: R[], score: (run: R) => number): R {
  const calm = runs.filter((run) => run.cpu.others <= DISTURBED);
  const pool = calm.length > 0 ? calm : runs;
  return pool.reduce((top, run) => (score(run) > score(top) ? run : top));
}

/**
 * Runs a scenario `rounds` times against each server, alternating which goes first. Other work
 * on the machine only ever slows a run down, so each server's best run is reported (best-of-N,
 * preferring runs that other processes left alone).
 *
 * @param rig The processes.
 * @param config The generator's config for a server at `url` with process id `pid`.
 * @param options Rounds, the score that ranks runs (higher is better), the generator's time
 * limit, and a progress callback.
 * @returns Per server its best run, and all runs.
 */
export async function compare<R extends LoadResult>(
  rig: Rig,
  config: (url: string, pid: number) => LoadConfig,
  options: {
    rounds: number;
    score: (run: R) => number;
    timeoutMs: number;
    progress: (text: string) => void;
  },
): Promise<Compared<R>> {
  const rounds: Compared<R>["rounds"] = { ours: [], official: [] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? rig.servers : [...rig.servers].reverse();
    for (const server of order) {
      const started = performance.now();
      rounds[server.key].push(await measure(rig, server, config, options.timeoutMs) as R);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      options.progress(`round ${round + 1}, ${server.key}: ${seconds} s`);
    }
  }
  const { score } = options;
  return { ours: best(rounds.ours, score), official: best(rounds.official, score), rounds };
}
