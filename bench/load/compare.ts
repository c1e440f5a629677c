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

/** One scenario's results: the reported (least disturbed) run of each server, and all runs. */
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

// The run least disturbed by other processes on the machine.
function cleanest<R extends LoadResult>(runs: R[]): R {
  return runs.reduce((best, run) => (run.cpu.others < best.cpu.others ? run : best));
}

/**
 * Runs a scenario `rounds` times against each server, alternating which goes first.
 *
 * @param rig The processes.
 * @param config The generator's config for a server at `url` with process id `pid`.
 * @param options Rounds, the generator's time limit, and a progress callback.
 * @returns Per server the run with the least CPU used by other processes, and all runs.
 */
export async function compare<R extends LoadResult>(
  rig: Rig,
  config: (url: string, pid: number) => LoadConfig,
  options: { rounds: number; timeoutMs: number; progress: (text: string) => void },
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
  return { ours: cleanest(rounds.ours), official: cleanest(rounds.official), rounds };
}
