// Cross-node broadcast benchmark (issue 6): edgeio's Upstash adapter against the official
// @socket.io/redis-adapter, in the same run, printing one markdown table with ratios.
//
//   node_modules/.bin/deno run -A bench/cluster_load.ts [--json results.json] ...
//   (deno task bench:cluster; --help lists the options)
//
// Each side runs on fresh processes (bench/load/cluster_rig.ts), one side after the other:
//   - edgeio: two Deno processes with `new Server({ upgradeWebSocket, adapter:
//     createUpstashAdapter({ url, token }) })`, through the Upstash-REST-compatible endpoint of
//     the test fixtures (its own Deno process) in front of a real redis-server;
//   - official: two Node processes with socket.io and `createAdapter(pub, sub)` over ioredis,
//     straight to a real redis-server over TCP.
// N socket.io-client clients in this process connect to server B; a control client asks
// server A for `io.emit("tick", stamp, seq)`: first at a fixed rate for latency, then as fast
// as A can for throughput (bench/load/cluster_scenario.ts). Every process and redis-server is
// stopped in `finally`, on an error and on Ctrl-C.

import { runDriver, stopAll } from "./load/children.ts";
import { DISTURBED } from "./load/compare.ts";
import { type SideKey, startSide, stopAllRedis } from "./load/cluster_rig.ts";
import { CLUSTER_COLUMNS, clusterTable } from "./load/cluster_report.ts";
import { runSide, type SideResult } from "./load/cluster_scenario.ts";
import {
  CLUSTER_USAGE,
  type ClusterSettings,
  parseClusterSettings,
} from "./load/cluster_settings.ts";
import { describeEnvironment, environment, packageVersion } from "./load/env.ts";
import { print } from "./load/print.ts";

const ROOT = new URL("../", import.meta.url);
const encoder = new TextEncoder();

function progress(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`  ${text}\n`));
}

async function measure(key: SideKey, s: ClusterSettings): Promise<SideResult> {
  const started = performance.now();
  try {
    const side = await startSide(key);
    try {
      return await runSide(side, s);
    } catch (error) {
      const output = [side.a, side.b].map((p) => p.output.slice(-5).join("\n")).join("\n");
      throw new Error(`${(error as Error).message}\nlast lines of A and B:\n${output}`);
    } finally {
      await side.stop();
    }
  } catch (error) {
    return {
      key,
      clients: 0,
      failure: (error as Error).message,
      outOfOrder: 0,
      disconnects: 0,
    };
  } finally {
    progress(`${CLUSTER_COLUMNS[key]}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

// The commit, and the adapter and server files that differ from it: the adapter is under work.
async function sourceState(): Promise<string> {
  const git = async (...args: string[]) => {
    const { stdout } = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped" })
      .output();
    return new TextDecoder().decode(stdout).trimEnd();
  };
  const commit = await git("rev-parse", "--short", "HEAD").catch(() => "unknown");
  const dirty = await git("status", "--porcelain", "adapter/", "server/").catch(() => "");
  const files = dirty.split("\n").filter(Boolean).map((line) => line.slice(3));
  return files.length ? `${commit} + uncommitted ${files.join(", ")}` : commit;
}

async function redisVersion(): Promise<string> {
  const { stdout } = await new Deno.Command("redis-server", {
    args: ["--version"],
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(stdout).match(/v=(\S+)/)?.[1] ?? "unknown";
}

function notes(s: ClusterSettings, results: SideResult[]): string[] {
  const found = [
    "- The REST path pays one HTTP request per publish batch (the adapter appends and publishes " +
    "each message with one EVAL; the SDK pipelines the EVALs of a tick, up to 64 at a time, " +
    "into one POST /pipeline) and receives through one Server-Sent Events stream per node, " +
    "while the official adapter keeps TCP connections to redis. The ratio compares the setup " +
    "that deploys on edge platforms against a TCP setup they cannot use.",
    "- The REST endpoint is the test fixture (tests/fixtures/upstash_rest.ts) on loopback, not " +
    "Upstash: real deployments add the network round trip to the Upstash region on every " +
    "publish and on the stream.",
    "- Latency phase: each broadcast is asked for by a `fire` carrying this process's clock, " +
    "which A sends back in the broadcast; latency = receipt − stamp on one clock, control hop " +
    "to A included (the same-node rows show its size). Under flood, A stamps each broadcast " +
    "with its own wall clock (same machine clock, sub-millisecond agreement).",
    `- Throughput: A runs \`io.emit\` ${s.burst} times per request, the next request sent once ` +
    `A acked, for ${s.floodMs / 1000} s or ${s.floodMax} broadcasts; deliveries/s counts ` +
    "from the first request to the last delivery; the wait for the rest ends once nothing " +
    `arrived for 5 s, or ${s.drainMs / 1000} s after the last request: what is missing then ` +
    "is lost. A's emit rate is how fast A's `io.emit` returned, not what the cluster carried: " +
    "neither adapter pushes back, so A outruns the cluster, the excess queues (in A, the store " +
    "or B) and latency under flood is mostly time in that queue, which grows with the excess.",
    "- All processes share this machine's cores: redis-server, (edgeio) the REST endpoint, " +
    "servers A and B, and this process with the clients. CPU per delivery and per broadcast " +
    "compare the servers even when a neighbour sets the pace.",
  ];
  const others = Math.max(
    ...results.flatMap((
      r,
    ) => [r.latency?.others ?? 0, (r.flood?.cpu.others ?? 0) / (r.flood?.wallSeconds ?? 1)]),
  );
  if (others > DISTURBED) {
    found.push(
      `- **Noisy run**: other processes used up to ${Math.round(others * 100)}% of a core ` +
        "during a phase; run again on a quieter machine before reading much into the ratios.",
    );
  }
  for (const r of results) {
    const name = CLUSTER_COLUMNS[r.key];
    if (r.failure) found.push(`- **${name} did not complete**: ${r.failure}`);
    if (r.flood && r.flood.cpu.bench / r.flood.wallSeconds > 0.9) {
      found.push(
        `- ${name}: the clients' process used over 90% of a core while flooding: it may have ` +
          "set the pace of deliveries/s.",
      );
    }
    for (const [node, errors] of Object.entries(r.errors ?? {})) {
      if (errors.count) {
        found.push(
          `- ${name}: adapter errors on ${node.toUpperCase()}: ${errors.first.join("; ")}`,
        );
      }
    }
  }
  return found;
}

async function main(): Promise<void> {
  if (Deno.args.includes("--help")) return print(CLUSTER_USAGE);
  const s = parseClusterSettings(Deno.args);
  const env = await environment(ROOT);
  const versions = {
    socketIo: await packageVersion(ROOT, "socket.io"),
    redisAdapter: await packageVersion(ROOT, "@socket.io/redis-adapter"),
    ioredis: await packageVersion(ROOT, "ioredis"),
    upstash: await packageVersion(ROOT, "@upstash/redis"),
    client: await packageVersion(ROOT, "socket.io-client"),
    redis: await redisVersion(),
  };
  const source = await sourceState();
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ", 3).join(" ");
  const ours = await measure("ours", s);
  const official = await measure("official", s);

  print(
    `Cross-node broadcast: edgeio + Upstash adapter (Deno, REST) vs socket.io ${versions.socketIo} ` +
      `+ @socket.io/redis-adapter ${versions.redisAdapter} (Node, ioredis ${versions.ioredis})`,
  );
  print();
  print(
    `${s.clients} socket.io-client ${versions.client} clients on server B; server A broadcasts ` +
      `\`io.emit("tick", stamp, seq)\`; latency: ${s.messages} broadcasts at ${s.rate}/s after ` +
      `${s.warmup} warm-up; throughput: as fast as A can for ${s.floodMs / 1000} s ` +
      `(at most ${s.floodMax}).`,
  );
  print();
  print(clusterTable(ours, official));
  print();
  for (const note of notes(s, [ours, official])) print(note);
  print();
  print(`source: ${source}`);
  print(`command: deno task bench:cluster ${Deno.args.join(" ")}`.trimEnd());
  print(
    `machine: ${describeEnvironment(env)}; redis-server ${versions.redis}, ` +
      `@upstash/redis ${versions.upstash}; load average (1, 5, 15 min) at start: ${load}`,
  );

  if (s.json !== undefined) {
    const { json: _, ...settings } = s;
    const report = {
      date: new Date().toISOString(),
      environment: { ...env, ...versions },
      settings,
      source,
      results: { ours, official },
    };
    await Deno.writeTextFile(s.json, JSON.stringify(report, null, 2) + "\n");
    print(`\nresults written to ${s.json}`);
  }
}

// Every child and redis-server is stopped on Ctrl-C or SIGTERM, as on an error or at the end.
await runDriver(main, () => Promise.allSettled([stopAll(), stopAllRedis()]));
