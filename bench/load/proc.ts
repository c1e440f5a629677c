// Readings from Linux /proc: a process's resident memory and its CPU time.

import type { CpuShare } from "./types.ts";

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The resident set size of a process (VmRSS of /proc/<pid>/status).
 *
 * @param pid The process id, or "self".
 * @returns Bytes.
 */
export function rssBytes(pid: number | "self"): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB$/m);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * CPU seconds a process has used so far in user space and in the kernel, all its threads.
 *
 * @param pid The process id, or "self".
 * @returns Seconds of each.
 */
export function cpuTimes(pid: number | "self"): { user: number; system: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) are at 11 and 12 once fields 1 and 2 are cut.
  return {
    user: Number(fields[11]) / CLOCK_TICKS_PER_SECOND,
    system: Number(fields[12]) / CLOCK_TICKS_PER_SECOND,
  };
}

/**
 * CPU seconds a process has used so far, user and system, all its threads.
 *
 * @param pid The process id, or "self".
 * @returns Seconds.
 */
export function cpuSeconds(pid: number | "self"): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/**
 * CPU seconds the whole machine has spent in processes so far (user, nice and system time of
 * /proc/stat: the same kinds of time a process's own stat counts, so no interrupts).
 *
 * @returns Seconds, summed over cores.
 */
export function machineProcessSeconds(): number {
  const cpu = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0]!.split(/\s+/);
  return (Number(cpu[1]) + Number(cpu[2]) + Number(cpu[3])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Starts watching the CPU time of the server, of this process and of everything else.
 *
 * @param serverPid The server.
 * @returns Call it at the end of the window for the shares.
 */
export function cpuMeter(serverPid: number): () => CpuShare {
  const start = performance.now();
  const server = cpuSeconds(serverPid);
  const generator = cpuSeconds("self");
  const machine = machineProcessSeconds();
  return () => {
    const seconds = (performance.now() - start) / 1000;
    const shares = {
      server: (cpuSeconds(serverPid) - server) / seconds,
      generator: (cpuSeconds("self") - generator) / seconds,
    };
    const all = (machineProcessSeconds() - machine) / seconds;
    return { ...shares, others: Math.max(0, all - shares.server - shares.generator) };
  };
}
