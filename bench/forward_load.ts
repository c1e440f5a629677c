// Polling without sticky sessions (issue 7): the same Socket.IO server under
// `DENO_JOBS=1 deno serve --parallel` (one isolate) and under `DENO_JOBS=4 deno serve --parallel`
// with forwardRequests (four isolates; Deno hands each HTTP connection to an isolate of its
// choosing, so a polling request often reaches an isolate that does not hold its session and is
// forwarded to the one that does), in the same run, printing one markdown table with the ratio.
//
//   node_modules/.bin/deno run -A bench/forward_load.ts [--clients 20] [--warmup 2] [--duration 8]
//   (deno task bench:forward)
//
// Each side gets a fresh store: a redis-server (the test fixture's) and the Upstash-REST endpoint
// of the test fixtures in a process of its own (bench/servers/upstash_rest.ts), then the server:
// bench/load/forward_server.ts, which is scripts/fixture_upstash.ts (Upstash adapter; FORWARD=1
// on the 4-isolate side only) plus an "echo" event and per-isolate request counts. N official
// socket.io-client clients in this process, `transports: ["polling"]`, each loop
// `emitWithAck("echo", payload)` for the warm-up and then the measured window: msgs/s, round trip
// p50/p99, the HTTP requests the isolates took and how many of them were forwarded (the sid of a
// forwarded request names another isolate), errors. Every process and redis-server is stopped in
// `finally`, on an error and on Ctrl-C; a watchdog ends a run that overstays.
//
// A third run, on 4 isolates with forwardRequests, measures WebSocket echoes: half the clients
// have `transports: ["polling", "websocket"]` and upgrade on whichever isolate Deno picks, so
// most upgrades land on an isolate that does not own the session and are relayed to the owner
// through the adapter; the other half have `transports: ["websocket"]` and stay on the isolate
// that accepted them, as do upgrades that reached the owner (direct); the server says which is
// which, and the table compares their round trips in the same run.

import { io as connectClient, type Socket } from "socket.io-client";
import { runDriver, type ServerProcess, startServer, stopAll } from "./load/children.ts";
import { describeEnvironment, environment, packageVersion } from "./load/env.ts";
import { print } from "./load/print.ts";
import { cpuSeconds } from "./load/proc.ts";
import { percentile, Samples } from "./load/stats.ts";
import { sleep } from "./load/window.ts";
import { type RedisServer, startRedisServer } from "../tests/fixtures/redis_server.ts";
import { once } from "../tests/_wait.ts";

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = ROOT.pathname;
const SERVER = "bench/load/forward_server.ts";
const ACK_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;
const LISTEN_TIMEOUT_MS = 30_000;
const encoder = new TextEncoder();

interface Settings {
  clients: number;
  wsClients: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
}

const USAGE = `usage: deno run -A bench/forward_load.ts [options]
  --clients N     polling clients, each with one echo in flight (20)
  --ws-clients N  upgrading clients of the WebSocket run (20; 0 skips it)
  --warmup S      seconds of load before the window (2)
  --duration S    seconds measured (8)
  --payload B     bytes of the echoed string (32)`;

function parseSettings(args: string[]): Settings {
  const s: Settings = {
    clients: 20,
    wsClients: 20,
    warmupMs: 2000,
    durationMs: 8000,
    payloadBytes: 32,
  };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    const zero = args[i] === "--ws-clients" && value === 0;
    if (!(value > 0) && !zero) throw new Error(`${args[i]} needs a positive number\n${USAGE}`);
    switch (args[i]) {
      case "--clients":
        s.clients = Math.round(value);
        break;
      case "--ws-clients":
        s.wsClients = Math.round(value);
        break;
      case "--warmup":
        s.warmupMs = value * 1000;
        break;
      case "--duration":
        s.durationMs = value * 1000;
        break;
      case "--payload":
        s.payloadBytes = Math.round(value);
        break;
      default:
        throw new Error(`unknown option ${args[i]}\n${USAGE}`);
    }
  }
  return s;
}

function progress(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`  ${text}\n`));
}

/** A `deno serve --parallel` process. */
interface Serve {
  url: string;
  pid: number;
  output: string[];
  /** SIGKILL (`deno serve` waits on SIGTERM for event loops the heartbeats keep busy). */
  stop(): Promise<void>;
}

const serves = new Set<Serve>();
const redises = new Set<RedisServer>();

async function startServe(jobs: number, forward: boolean, upstash: string[]): Promise<Serve> {
  const port = (() => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr;
    listener.close();
    return port;
  })();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--parallel",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      SERVER,
    ],
    cwd: ROOT_PATH,
    env: {
      NO_COLOR: "1",
      DENO_JOBS: String(jobs),
      UPSTASH_URL: upstash[0]!,
      UPSTASH_TOKEN: upstash[1]!,
      FORWARD: forward ? "1" : "0",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const listening = Promise.withResolvers<string>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        output.push(line);
        const match = line.match(/Listening on (http:\/\/[^\s/]+)/);
        if (match) listening.resolve(match[1]!);
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const serve: Serve = {
    url: "",
    pid: child.pid,
    output,
    stop: async () => {
      serves.delete(serve);
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await pumps;
    },
  };
  serves.add(serve);
  const timer = setTimeout(
    () => listening.reject(new Error(`deno serve: no "Listening on" in ${LISTEN_TIMEOUT_MS} ms`)),
    LISTEN_TIMEOUT_MS,
  );
  child.status.then((status) =>
    listening.reject(new Error(`deno serve exited (${status.code}) before listening`))
  );
  try {
    serve.url = await listening.promise;
    return serve;
  } catch (error) {
    await serve.stop();
    throw new Error(`${(error as Error).message}:\n${output.join("\n")}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `jobs` isolates answer handshakes (each on a fresh connection). */
async function isolatesUp(url: string, jobs: number, forward: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  const seen = new Set<string>();
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
      headers: { connection: "close" },
      signal: AbortSignal.timeout(5000),
    });
    await response.text();
    if (response.ok) {
      seen.add(forward ? response.headers.get("x-edgeio-node") ?? "" : "one");
      if (seen.size >= jobs) break;
    }
  }
  if (seen.size < jobs) throw new Error(`only ${seen.size} of ${jobs} isolates answered`);
  // Each isolate knows the others once it has heard their heartbeats (every 200 ms).
  await sleep(1000);
}

interface Counts {
  uid: string;
  requests: number;
  forwarded: number;
}

/** What one side measured. */
interface SideResult {
  label: string;
  isolates: number;
  msgsPerSec: number;
  p50: number;
  p99: number;
  /** HTTP requests the isolates took in the window, per second. */
  requestsPerSec: number;
  requests: number;
  forwarded: number;
  /** Sessions per isolate (the clients' owners). */
  sessions: number[];
  errors: number;
  connectErrors: number;
  disconnects: number;
  /** Lines of the server's output that mention an error. */
  serverErrors: number;
  /** CPU cores used in the window: the server (all isolates), the REST endpoint, this process. */
  cpu: { server: number; rest: number; redis: number; clients: number };
  /** WebSocket runs: the round trips of clients whose upgrade was relayed, and the others. */
  split?: { relayed: Split; direct: Split } | undefined;
}

/** The round trips of some clients. */
interface Split {
  clients: number;
  acked: number;
  p50: number;
  p99: number;
}

function connectAll(
  url: string,
  n: number,
  tally: { connectErrors: number },
  websocket = false,
) {
  const clients: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const client = connectClient(url, {
      forceNew: true,
      reconnection: false,
      // WebSocket run: every other client opens on the WebSocket (it never leaves the isolate
      // that accepted it: direct), the others upgrade from polling (mostly relayed).
      transports: !websocket ? ["polling"] : i % 2 ? ["polling", "websocket"] : ["websocket"],
    });
    client.on("connect_error", () => tally.connectErrors++);
    clients.push(client);
  }
  return clients;
}

async function measure(
  label: string,
  jobs: number,
  forward: boolean,
  s: Settings,
  websocket = false,
): Promise<SideResult> {
  const redis: RedisServer = await startRedisServer();
  redises.add(redis);
  let rest: ServerProcess | undefined;
  let serve: Serve | undefined;
  const clients: Socket[] = [];
  try {
    const token = crypto.randomUUID();
    rest = await startServer(
      Deno.execPath(),
      [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "bench/servers/upstash_rest.ts",
        String(redis.port),
        token,
      ],
      ROOT_PATH,
    );
    serve = await startServe(jobs, forward, [rest.url, token]);
    await isolatesUp(serve.url, jobs, forward);

    const tally = { connectErrors: 0, disconnects: 0, errors: 0 };
    const connecting = connectAll(serve.url, websocket ? s.wsClients : s.clients, tally, websocket);
    clients.push(...connecting);
    await Promise.all(clients.map((client) => once(client, "connect", CONNECT_TIMEOUT_MS)));
    if (websocket) {
      await Promise.all(
        clients.map((client) =>
          client.io.engine.transport.name === "websocket"
            ? undefined
            : once(client.io.engine, "upgrade", CONNECT_TIMEOUT_MS)
        ),
      );
    }
    const relayed = websocket
      ? await Promise.all(
        clients.map((client) =>
          client.timeout(ACK_TIMEOUT_MS).emitWithAck("upgrade-relayed") as Promise<boolean>
        ),
      )
      : [];
    for (const client of clients) client.on("disconnect", () => tally.disconnects++);

    // Who owns each session; a client per isolate reads that isolate's counts. Extra idle
    // clients are connected (up to 10 × jobs) until every isolate owns one.
    const whoami = (client: Socket) =>
      client.timeout(ACK_TIMEOUT_MS).emitWithAck("whoami") as Promise<{ uid: string }>;
    const owners = await Promise.all(clients.map(whoami));
    const readers = new Map<string, Socket>();
    owners.forEach((owner, i) => readers.has(owner.uid) || readers.set(owner.uid, clients[i]!));
    for (let extra = 0; readers.size < jobs && extra < 10 * jobs; extra++) {
      const [client] = connectAll(serve.url, 1, tally);
      clients.push(client!);
      await once(client!, "connect", CONNECT_TIMEOUT_MS);
      client!.on("disconnect", () => tally.disconnects++);
      const { uid } = await whoami(client!);
      if (!readers.has(uid)) readers.set(uid, client!);
    }
    if (readers.size < jobs) throw new Error(`sessions on ${readers.size} of ${jobs} isolates`);
    const sessions = [...readers.keys()].map((uid) => owners.filter((o) => o.uid === uid).length)
      .sort((a, b) => b - a);
    const counts = async () => {
      const all = await Promise.all(
        [...readers.values()].map((client) =>
          client.timeout(ACK_TIMEOUT_MS).emitWithAck("requests") as Promise<Counts>
        ),
      );
      return all.reduce(
        (sum, c) => ({
          requests: sum.requests + c.requests,
          forwarded: sum.forwarded + c.forwarded,
        }),
        { requests: 0, forwarded: 0 },
      );
    };

    const payload = "x".repeat(s.payloadBytes);
    const latencies = new Samples();
    const byKind = { relayed: new Samples(), direct: new Samples() };
    let acked = 0;
    const from = performance.now() + s.warmupMs;
    const to = from + s.durationMs;
    const pids = { server: serve.pid, rest: rest.pid, redis: redis.pid ?? 0 };
    const window = (async () => {
      await sleep(s.warmupMs);
      const cpu = {
        server: cpuSeconds(pids.server),
        rest: cpuSeconds(pids.rest),
        redis: pids.redis ? cpuSeconds(pids.redis) : 0,
        clients: cpuSeconds("self"),
      };
      const before = await counts();
      await sleep(Math.max(0, to - performance.now()));
      const seconds = s.durationMs / 1000;
      const used = {
        server: (cpuSeconds(pids.server) - cpu.server) / seconds,
        rest: (cpuSeconds(pids.rest) - cpu.rest) / seconds,
        redis: pids.redis ? (cpuSeconds(pids.redis) - cpu.redis) / seconds : 0,
        clients: (cpuSeconds("self") - cpu.clients) / seconds,
      };
      const after = await counts();
      return {
        cpu: used,
        requests: after.requests - before.requests,
        forwarded: after.forwarded - before.forwarded,
      };
    })();
    // Awaited after the load; a failure meanwhile must not count as an unhandled rejection.
    window.catch(() => {});
    await Promise.all(connecting.map(async (client, i) => {
      const kind = relayed[i] ? byKind.relayed : byKind.direct;
      while (performance.now() < to) {
        const start = performance.now();
        try {
          const echoed = await client.timeout(ACK_TIMEOUT_MS).emitWithAck("echo", payload);
          if (echoed !== payload) tally.errors++;
        } catch {
          tally.errors++;
          continue;
        }
        const end = performance.now();
        if (end >= from && end < to) {
          acked++;
          latencies.add(end - start);
          kind.add(end - start);
        }
      }
    }));
    const measured = await window;
    const sorted = latencies.sorted();
    const split = (samples: Samples, clients: number): Split => {
      const all = samples.sorted();
      return {
        clients,
        acked: all.length,
        p50: percentile(all, 50),
        p99: percentile(all, 99),
      };
    };
    const relayedClients = relayed.filter(Boolean).length;
    return {
      split: websocket
        ? {
          relayed: split(byKind.relayed, relayedClients),
          direct: split(byKind.direct, connecting.length - relayedClients),
        }
        : undefined,
      label,
      isolates: jobs,
      msgsPerSec: acked / (s.durationMs / 1000),
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      requestsPerSec: measured.requests / (s.durationMs / 1000),
      requests: measured.requests,
      forwarded: measured.forwarded,
      sessions,
      errors: tally.errors,
      connectErrors: tally.connectErrors,
      disconnects: tally.disconnects,
      serverErrors: serve.output.filter((line) => /error|uncaught/i.test(line)).length,
      cpu: measured.cpu,
    };
  } finally {
    for (const client of clients) client.disconnect();
    await serve?.stop();
    await rest?.stop();
    redises.delete(redis);
    await redis.stop();
  }
}

const fixed = (n: number, digits: number) => Number.isFinite(n) ? n.toFixed(digits) : "–";
const ratio = (a: number, b: number) => b > 0 ? `${(a / b).toFixed(2)}×` : "–";

function table(one: SideResult, four: SideResult, s: Settings): string {
  const rows: [string, string, string, string][] = [
    ["msgs/s (acked echoes)", fixed(one.msgsPerSec, 0), fixed(four.msgsPerSec, 0), ""],
    ["ack round trip p50 (ms)", fixed(one.p50, 2), fixed(four.p50, 2), ""],
    ["ack round trip p99 (ms)", fixed(one.p99, 2), fixed(four.p99, 2), ""],
    [
      "HTTP requests/s at the isolates",
      fixed(one.requestsPerSec, 0),
      fixed(four.requestsPerSec, 0),
      "",
    ],
    [
      "requests forwarded",
      `${one.forwarded} of ${one.requests} (${fixed((100 * one.forwarded) / one.requests, 1)} %)`,
      `${four.forwarded} of ${four.requests} (${
        fixed((100 * four.forwarded) / four.requests, 1)
      } %)`,
      "",
    ],
    [
      "sessions per isolate (measured clients)",
      one.sessions.join(" / "),
      four.sessions.join(" / "),
      "",
    ],
    [
      "errors / connect_errors / disconnects / server error lines",
      `${one.errors} / ${one.connectErrors} / ${one.disconnects} / ${one.serverErrors}`,
      `${four.errors} / ${four.connectErrors} / ${four.disconnects} / ${four.serverErrors}`,
      "",
    ],
    [
      "CPU cores: server / REST endpoint / redis / clients",
      [one.cpu.server, one.cpu.rest, one.cpu.redis, one.cpu.clients].map((c) => fixed(c, 2))
        .join(" / "),
      [four.cpu.server, four.cpu.rest, four.cpu.redis, four.cpu.clients].map((c) => fixed(c, 2))
        .join(" / "),
      "",
    ],
  ];
  rows[0]![3] = ratio(four.msgsPerSec, one.msgsPerSec);
  rows[1]![3] = ratio(four.p50, one.p50);
  rows[2]![3] = ratio(four.p99, one.p99);
  rows[3]![3] = ratio(four.requestsPerSec, one.requestsPerSec);
  return [
    `Polling echo with ack: ${s.clients} socket.io-client clients (transports: ["polling"]) × 1 ` +
    `in flight, ${s.durationMs / 1000} s after ${s.warmupMs / 1000} s warm-up, ` +
    `${s.payloadBytes}-byte string; Upstash adapter through the REST fixture`,
    "",
    `| | ${one.label} | ${four.label} | 4 ÷ 1 |`,
    "|---|--:|--:|--:|",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function wsTable(ws: SideResult, s: Settings): string {
  const { relayed, direct } = ws.split!;
  const seconds = s.durationMs / 1000;
  const row = (name: string, r: Split) =>
    `| ${name} | ${r.clients} | ${fixed(r.acked / seconds, 0)} | ${fixed(r.p50, 2)} | ${
      fixed(r.p99, 2)
    } |`;
  return [
    `WebSocket echo with ack on 4 isolates with forwardRequests: ${s.wsClients} ` +
    `socket.io-client clients (every other one transports: ["websocket"], the others ` +
    `["polling", "websocket"]) × 1 in flight, ${seconds} s after ${s.warmupMs / 1000} s ` +
    `warm-up; a client's WebSocket is on its session's owner (direct: opened there, or the ` +
    `upgrade reached it), or on another isolate that relays it to the owner`,
    "",
    "| upgrade | clients | msgs/s | p50 (ms) | p99 (ms) |",
    "|---|--:|--:|--:|--:|",
    row("direct (on the owner)", direct),
    row("relayed through a non-owner", relayed),
    "",
    `relayed ÷ direct: ${ratio(relayed.p50, direct.p50)} p50, ${
      ratio(relayed.p99, direct.p99)
    } p99; errors / connect_errors / disconnects / server error lines: ${ws.errors} / ` +
    `${ws.connectErrors} / ${ws.disconnects} / ${ws.serverErrors}`,
  ].join("\n");
}

async function main(): Promise<void> {
  if (Deno.args.includes("--help")) return print(USAGE);
  const s = parseSettings(Deno.args);
  const env = await environment(ROOT);
  const client = await packageVersion(ROOT, "socket.io-client");
  const side = async (label: string, jobs: number, forward: boolean, websocket = false) => {
    const started = performance.now();
    try {
      return await measure(label, jobs, forward, s, websocket);
    } finally {
      progress(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  const one = await side("1 isolate", 1, false);
  const four = await side("4 isolates, forwardRequests", 4, true);
  const ws = s.wsClients > 0 ? await side("4 isolates, WebSocket", 4, true, true) : undefined;
  print(`Polling across isolates without stickiness (socket.io-client ${client})`);
  print(describeEnvironment(env));
  print();
  print(table(one, four, s));
  print();
  print(
    `ratio 4 isolates ÷ 1 isolate: ${ratio(four.msgsPerSec, one.msgsPerSec)} msgs/s, ` +
      `${ratio(four.p50, one.p50)} p50, ${ratio(four.p99, one.p99)} p99 ` +
      `(on ${env.cores} cores shared by the isolates, the clients, the REST endpoint and redis)`,
  );
  if (ws) {
    print();
    print(wsTable(ws, s));
  }
  const bad = [one, four, ...(ws ? [ws] : [])].filter((r) =>
    r.errors + r.connectErrors + r.disconnects > 0
  );
  if (bad.length > 0) {
    throw new Error(`errors in ${bad.map((r) => r.label).join(", ")}`);
  }
}

async function stopEverything(): Promise<void> {
  await Promise.all([...serves].map((serve) => serve.stop()));
  await stopAll();
  await Promise.all([...redises].map((redis) => redis.stop()));
  redises.clear();
}

// Every child is stopped on Ctrl-C or SIGTERM, as on an error or at the end; a run that
// overstays is ended.
await runDriver(main, stopEverything, 240_000);
