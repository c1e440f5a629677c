// The command line of bench/engine_load.ts.

import { parseArgs } from "node:util";

/** What a run does. */
export interface Settings {
  /** The measured window of the echo scenarios. */
  durationMs: number;
  /** The warm-up before it. */
  warmupMs: number;
  /** Concurrent connections (WebSocket) or sessions (polling) of the echo scenarios. */
  connections: number;
  /** Sessions of the idle scenario. */
  idle: number;
  /** Handshakes under way at once in the idle scenario. */
  idleConcurrency: number;
  /** Bytes of each echoed message. */
  payloadBytes: number;
  /** Runs of each scenario per server; the best is reported. */
  rounds: number;
  /** Where to write the results as JSON, if anywhere. */
  json: string | undefined;
}

/** The usage text. */
export const USAGE = `usage: deno run -A bench/engine_load.ts [options]
  --json <file>             also write the results as JSON
  --duration <s>            measured window of the echo scenarios (default 5)
  --warmup <s>              warm-up before it (default 1)
  --connections <n>         concurrent connections/sessions of the echo scenarios (default 50)
  --idle <n>                idle WebSocket sessions (default 5000)
  --idle-concurrency <n>    handshakes under way at once (default 100)
  --payload <bytes>         message size (default 32)
  --rounds <n>              runs per scenario and server, the best one reported
                            (default 2: this machine may be shared with other work)`;

/**
 * Reads the command line.
 *
 * @param args The arguments.
 * @returns The settings.
 * @throws {RangeError} On a value that is not a positive number.
 */
export function parseSettings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "string" },
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "50" },
      idle: { type: "string", default: "5000" },
      "idle-concurrency": { type: "string", default: "100" },
      payload: { type: "string", default: "32" },
      rounds: { type: "string", default: "2" },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`--${name} must be a positive number\n${USAGE}`);
    }
    return value;
  };
  const count = (name: keyof typeof values) => Math.max(1, Math.round(positive(name)));
  return {
    durationMs: positive("duration") * 1000,
    warmupMs: positive("warmup") * 1000,
    connections: count("connections"),
    idle: count("idle"),
    idleConcurrency: count("idle-concurrency"),
    payloadBytes: count("payload"),
    rounds: count("rounds"),
    json: values.json,
  };
}
