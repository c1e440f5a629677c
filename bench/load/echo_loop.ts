// The echo loop the WebSocket scenarios share: each peer keeps one message in flight, answers
// that arrive inside the measured window count with their round-trip times, a wrong answer or a
// lost peer counts as an error, and a deadline bounds a server gone silent. Also builds the
// scenario result from what was measured.

import { percentile, Samples } from "./stats.ts";
import type { CpuShare, EchoResult } from "./types.ts";
import type { Window } from "./window.ts";

// A hard cap on messages per connection, far above what a few seconds can reach.
const MAX_MESSAGES_PER_CONNECTION = 10_000_000;

/** A connection as the loop drives it: text frames out, text frames in. */
export interface EchoPeer {
  send(packet: string): void;
  onMessage: (packet: string) => void;
  onLost: () => void;
}

/** What one exchange sends and the answer it expects. */
export interface Exchange {
  send: string;
  expect: string;
}

/** What the loop measured. */
export interface EchoTally {
  messages: number;
  samples: Samples;
  errors: number;
}

/**
 * Drives every peer until the window closes.
 *
 * @param peers The connections.
 * @param exchange The n-th exchange of a connection (n counts from 1).
 * @param clock The measured window.
 * @param deadlineMs When to give up on peers that went silent.
 * @returns Messages counted inside the window, their round-trip times, and errors.
 */
export async function runEchoLoop(
  peers: readonly EchoPeer[],
  exchange: (n: number) => Exchange,
  clock: Window,
  deadlineMs: number,
): Promise<EchoTally> {
  const tally: EchoTally = { messages: 0, samples: new Samples(), errors: 0 };
  const drive = (peer: EchoPeer) =>
    new Promise<void>((resolve) => {
      let sentAt = 0;
      let n = 0;
      let expected = "";
      const send = () => {
        const next = exchange(++n);
        expected = next.expect;
        sentAt = performance.now();
        peer.send(next.send);
      };
      peer.onMessage = (packet) => {
        const now = performance.now();
        if (packet !== expected) {
          tally.errors++;
          return resolve();
        }
        if (clock.contains(now)) {
          tally.messages++;
          tally.samples.add(now - sentAt);
        }
        if (now < clock.to && n < MAX_MESSAGES_PER_CONNECTION) send();
        else resolve();
      };
      peer.onLost = () => {
        tally.errors++;
        resolve();
      };
      send();
    });

  let guard: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    guard = setTimeout(resolve, deadlineMs);
  });
  await Promise.race([Promise.all(peers.map(drive)), deadline]);
  clearTimeout(guard);
  return tally;
}

/**
 * The result of an echo scenario.
 *
 * @param scenario Its name.
 * @param tally What was counted.
 * @param durationMs The measured window's length.
 * @param cpu CPU shares during the window.
 * @returns The result.
 */
export function echoResult(
  scenario: EchoResult["scenario"],
  tally: EchoTally,
  durationMs: number,
  cpu: CpuShare,
): EchoResult {
  const sorted = tally.samples.sorted();
  const seconds = durationMs / 1000;
  return {
    scenario,
    messages: tally.messages,
    seconds,
    msgsPerSec: tally.messages / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors: tally.errors,
    cpu,
  };
}
