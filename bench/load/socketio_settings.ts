// The command line of bench/socketio_load.ts.

import { parseArgs } from "node:util";

/** What a run does. */
export interface SocketIoSettings {
  /** The measured window of the echo scenario. */
  durationMs: number;
  /** The warm-up before it. */
  warmupMs: number;
  /** Concurrent connections of the echo scenario. */
  connections: number;
  /** Bytes of each echoed or broadcast string. */
  payloadBytes: number;
  /** Connected clients of the broadcast scenarios. */
  clients: number;
  /** Rooms of the room scenario. */
  rooms: number;
  /** Measured passes of the broadcast scenarios (a pass reaches every client once). */
  passes: number;
  /** Passes before them, not counted. */
  warmupPasses: number;
  /** Passes per control request. */
  batch: number;
  /** Passes under way at most. */
  window: number;
  /** Runs of each scenario per server; the best is reported. */
  rounds: number;
  /** Where to write the results as JSON, if anywhere. */
  json: string | undefined;
}

/** The usage text. */
export const SOCKETIO_USAGE = `usage: deno run -A bench/socketio_load.ts [options]
  --json <file>             also write the results as JSON
  --duration <s>            measured window of the echo scenario (default 5)
  --warmup <s>              warm-up before it (default 1)
  --connections <n>         concurrent connections of the echo scenario (default 50)
  --payload <bytes>         string size of echoes and broadcasts (default 32)
  --clients <n>             connected clients of the broadcast scenarios (default 1000)
  --rooms <n>               rooms of the room scenario (default 100)
  --passes <n>              measured broadcast passes; one reaches every client once
                            (default 100)
  --warmup-passes <n>       passes before them, not counted (default 20)
  --batch <n>               passes per control request (default 2)
  --window <n>              passes under way at most (default 8)
  --rounds <n>              runs per scenario and server, the best one reported
                            (default 3: this machine may be shared with other work, and
                            server CPU per delivery varies by ±15% from run to run)`;

/**
 * Reads the command line.
 *
 * @param args The arguments.
 * @returns The settings.
 * @throws {RangeError} On a value that is not a positive number, or a window below the batch.
 */
export function parseSocketIoSettings(args: string[]): SocketIoSettings {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "string" },
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "50" },
      payload: { type: "string", default: "32" },
      clients: { type: "string", default: "1000" },
      rooms: { type: "string", default: "100" },
      passes: { type: "string", default: "100" },
      "warmup-passes": { type: "string", default: "20" },
      batch: { type: "string", default: "2" },
      window: { type: "string", default: "8" },
      rounds: { type: "string", default: "3" },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`--${name} must be a positive number\n${SOCKETIO_USAGE}`);
    }
    return value;
  };
  const count = (name: keyof typeof values) => Math.max(1, Math.round(positive(name)));
  const settings = {
    durationMs: positive("duration") * 1000,
    warmupMs: positive("warmup") * 1000,
    connections: count("connections"),
    payloadBytes: count("payload"),
    clients: count("clients"),
    rooms: count("rooms"),
    passes: count("passes"),
    warmupPasses: count("warmup-passes"),
    batch: count("batch"),
    window: count("window"),
    rounds: count("rounds"),
    json: values.json,
  };
  if (settings.window < settings.batch) {
    throw new RangeError(`--window must be at least --batch\n${SOCKETIO_USAGE}`);
  }
  return settings;
}
