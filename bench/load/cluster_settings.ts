// The command line of bench/cluster_load.ts.

import { parseArgs } from "node:util";

/** What a run does. */
export interface ClusterSettings {
  /** Clients on server B that receive every broadcast. */
  clients: number;
  /** Messages of the latency phase. */
  messages: number;
  /** Their rate, messages per second. */
  rate: number;
  /** Messages before them, not counted. */
  warmup: number;
  /** How long A broadcasts as fast as it can in the throughput phase. */
  floodMs: number;
  /** The most messages A sends in that phase, whatever the time. */
  floodMax: number;
  /** Messages per `burst` request in that phase. */
  burst: number;
  /** The longest wait for what was sent, after each phase (it ends earlier on a stall). */
  drainMs: number;
  /** Where to write the results as JSON, if anywhere. */
  json: string | undefined;
}

/** The usage text. */
export const CLUSTER_USAGE = `usage: deno run -A bench/cluster_load.ts [options]
  --json <file>        also write the results as JSON
  --clients <n>        socket.io-client clients on server B (default 50)
  --messages <n>       broadcasts of the latency phase (default 2000)
  --rate <n>           their rate, per second (default 200)
  --warmup <n>         broadcasts before them, not counted (default 200)
  --flood <s>          how long A broadcasts as fast as it can (default 3)
  --flood-max <n>      the most broadcasts A sends in that time (default 30000)
  --burst <n>          broadcasts per request to A while flooding (default 100)
  --drain <s>          the longest wait for the rest after a phase; it also ends once
                       nothing arrived for 5 s; what is missing then is lost (default 60)`;

/**
 * Reads the command line.
 *
 * @param args The arguments.
 * @returns The settings.
 * @throws {RangeError} On a value that is not a positive number.
 */
export function parseClusterSettings(args: string[]): ClusterSettings {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "string" },
      clients: { type: "string", default: "50" },
      messages: { type: "string", default: "2000" },
      rate: { type: "string", default: "200" },
      warmup: { type: "string", default: "200" },
      flood: { type: "string", default: "3" },
      "flood-max": { type: "string", default: "30000" },
      burst: { type: "string", default: "100" },
      drain: { type: "string", default: "60" },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `--${name} must be a positive number, current value is ${values[name]}\n${CLUSTER_USAGE}`,
      );
    }
    return value;
  };
  const count = (name: keyof typeof values) => Math.max(1, Math.round(positive(name)));
  return {
    clients: count("clients"),
    messages: count("messages"),
    rate: positive("rate"),
    warmup: count("warmup"),
    floodMs: positive("flood") * 1000,
    floodMax: count("flood-max"),
    burst: count("burst"),
    drainMs: positive("drain") * 1000,
    json: values.json,
  };
}
