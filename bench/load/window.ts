// Timing helpers: a bounded sleep, and the measured window of an echo scenario.

import { cpuMeter } from "./proc.ts";
import type { CpuShare } from "./types.ts";

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The measured part of a run: what counts, and the CPU used meanwhile. */
export interface Window {
  /** `performance.now()` at which counting starts (after the warm-up). */
  readonly from: number;
  /** `performance.now()` at which counting stops. */
  readonly to: number;
  /** Whether a time falls inside. */
  contains(time: number): boolean;
  /** The CPU shares of server and generator over the window, once it has passed. */
  readonly cpu: Promise<CpuShare>;
}

/**
 * Starts the clock of a scenario: a warm-up, then the measured window.
 *
 * @param serverPid The server, whose CPU time is read at both ends of the window.
 * @param warmupMs The warm-up.
 * @param durationMs The window.
 * @returns The window.
 */
export function measureWindow(serverPid: number, warmupMs: number, durationMs: number): Window {
  const from = performance.now() + warmupMs;
  const to = from + durationMs;
  const cpu = (async () => {
    await sleep(warmupMs);
    const stop = cpuMeter(serverPid);
    await sleep(durationMs);
    return stop();
  })();
  return { from, to, contains: (time) => time >= from && time < to, cpu };
}
