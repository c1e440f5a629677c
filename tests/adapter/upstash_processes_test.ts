// The Upstash adapter across real isolates: three `deno run` processes of
// scripts/fixture_upstash_server.ts, and one `deno serve --parallel` with three isolates of
// scripts/fixture_upstash.ts, against one redis-server behind the Upstash-REST fixture. Clients
// are official socket.io-client 4.8.4 clients over WebSocket (a WebSocket stays on the isolate
// that accepted it; `deno serve` picks the isolate).
import assert from "node:assert/strict";
import { DENO, type Started, startServer } from "../_process.ts";
import { connectResp, startUpstashStore, text, type UpstashStore } from "../fixtures/mod.ts";
import { io as connectClient } from "socket.io-client";
import { type ClientSocket, once, startForwarder, times, until } from "./_upstash_cluster.ts";

const SCRIPTS = new URL("../../scripts/", import.meta.url).pathname;
const PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-env"];

interface Whoami {
  uid: string;
  recovered: boolean;
  rooms: string[];
}

/** Runs `fn` with a store and a way to connect clients; stops clients, servers, store after. */
async function withProcesses(
  fn: (ctx: {
    store: UpstashStore;
    env: Record<string, string>;
    started: Started[];
    connect(url: string, options?: Record<string, unknown>): Promise<ClientSocket>;
  }) => Promise<void>,
): Promise<void> {
  const store = await startUpstashStore();
  const started: Started[] = [];
  const clients: ClientSocket[] = [];
  try {
    await fn({
      store,
      env: { UPSTASH_URL: store.credentials.url, UPSTASH_TOKEN: store.credentials.token },
      started,
      async connect(url, options = {}) {
        const socket = connectClient(url, {
          forceNew: true,
          reconnection: false,
          transports: ["websocket"],
          ...options,
        });
        clients.push(socket);
        await once(socket, "connect", 10_000);
        return socket;
      },
    });
  } finally {
    for (const socket of clients) socket.disconnect();
    await Promise.all(started.map((server) => server.stop()));
    await store.stop();
  }
}

function ask<T>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(3000).emitWithAck(event, ...args) as Promise<T>;
}

/** Polls each client's server until it counts `count` servers. */
async function counted(clients: ClientSocket[], count: number): Promise<void> {
  for (const client of clients) {
    await until(async () => await ask<number>(client, "count") === count, `${count} servers`);
  }
}

/** Every client gets one `event` from one broadcast, and `count` from "report-count". */
async function reachesAll(clients: ClientSocket[], servers: number): Promise<void> {
  const hello = Promise.all(clients.map((client) => once(client, "hello")));
  clients[0]!.emit("broadcast", "hello", "from", clients[0]!.id, new Uint8Array([1, 2, 3]));
  for (const [from, id, bytes] of await hello) {
    assert.deepEqual([from, id, [...new Uint8Array(bytes as ArrayBuffer)]], [
      "from",
      clients[0]!.id,
      [1, 2, 3],
    ]);
  }
  const counts = Promise.all(clients.map((client) => once(client, "count")));
  clients.at(-1)!.emit("report-count");
  // Recovery is on: each event carries its offset last.
  assert.deepEqual((await counts).map(([count]) => count), clients.map(() => servers));
}

Deno.test("UpstashAdapter across three processes: broadcasts, serverCount() and recovery after SIGKILL", async () => {
  const forwarder = startForwarder(undefined);
  try {
    await withProcesses(async ({ store, env, started, connect }) => {
      const script = `${SCRIPTS}fixture_upstash_server.ts`;
      started.push(
        ...await Promise.all(
          [0, 1, 2].map(() => startServer(DENO, ["run", ...PERMISSIONS, script], env)),
        ),
      );
      const [a, b, c] = started as [Started, Started, Started];
      const clients = await Promise.all(
        [a, b, c, a, b, c].map((server) => connect(server.url, { auth: { room: "news" } })),
      );
      const uids = await Promise.all(clients.map((client) => ask<Whoami>(client, "whoami")));
      assert.equal(new Set(uids.map((who) => who.uid)).size, 3, "one adapter per process");
      await counted(clients, 3);
      await reachesAll(clients, 3);

      // A client on A (through the forwarder) gets a broadcast, then A is killed.
      forwarder.target = a.url;
      const roaming = await connect(forwarder.url, {
        auth: { room: "news" },
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
        randomizationFactor: 0,
      });
      const id = roaming.id;
      const got: unknown[][] = [];
      roaming.onAny((...args: unknown[]) => got.push(args));
      const first = once(roaming, "news");
      clients[1]!.emit("to", "news", "news", 0);
      await first;
      // Its session reaches A's hash in the store (written once its rooms settled).
      const redis = await connectResp(store.redis.port);
      try {
        await until(async () => {
          const fields = await redis.call("HGETALL", `socket.io#/#live#${uids[0]!.uid}`);
          return (fields as Uint8Array[]).some((value) => text(value).includes(`"${id}"`));
        }, "the session in the store");
      } finally {
        await redis.close();
      }
      forwarder.target = undefined;
      const dropped = once(roaming, "disconnect");
      a.signal!("SIGKILL");
      await dropped;

      // While it is away, B and C broadcast; then the others count two servers.
      const survivors = clients.filter((_, i) => i % 3 !== 0);
      for (const [n, from] of [[1, survivors[0]!], [2, survivors[1]!]] as const) {
        const landed = Promise.all(survivors.map((client) => once(client, "news")));
        from.emit("to", "news", "news", n);
        await landed;
      }
      await counted(survivors, 2);

      // Back on B: the session of the dead process is taken over, with what it missed.
      const back = once(roaming, "connect", 10_000);
      forwarder.target = b.url;
      await back;
      assert.equal(roaming.recovered, true);
      assert.equal(roaming.id, id);
      const whoami = await ask<Whoami>(roaming, "whoami");
      assert.deepEqual(whoami.rooms, [id, "news"].sort());
      assert.equal(whoami.uid, uids[1]!.uid);
      assert.deepEqual(got.map((args) => args.slice(0, 2)), [["news", 0], ["news", 1], [
        "news",
        2,
      ]]);
      const after = once(roaming, "news");
      survivors[1]!.emit("to", "news", "news", 3);
      assert.equal((await after)[0], 3);

      // The store goes away and comes back: the processes serve their own clients meanwhile,
      // stay up, and broadcasts between them resume.
      await store.redis.kill();
      const solo = once(survivors[0]!, "solo");
      survivors[0]!.emit("to", survivors[0]!.id, "solo", 4);
      assert.equal((await solo)[0], 4);
      await store.redis.restart();
      const everyone = [...survivors, roaming];
      await counted(everyone, 2);
      await reachesAll(everyone, 2);
      for (const server of [b, c]) await connect(server.url);
      for (const server of [b, c]) {
        assert.deepEqual(server.output.filter((line) => /error|uncaught/i.test(line)), []);
      }
    });
  } finally {
    await forwarder.close();
  }
});

Deno.test("UpstashAdapter across the isolates of `deno serve --parallel`: broadcasts reach every client", async () => {
  await withProcesses(async ({ env, started, connect }) => {
    const port = freePort();
    started.push(
      await startServer(
        DENO,
        [
          "serve",
          "--parallel",
          ...PERMISSIONS,
          "--port",
          String(port),
          "--host",
          "127.0.0.1",
          `${SCRIPTS}fixture_upstash.ts`,
        ],
        { ...env, DENO_JOBS: "3" },
        20_000,
        /Listening on (http:\/\/[^\s/]+)/,
      ),
    );
    // `deno serve` ends gracefully on SIGTERM, which waits for the event loop to drain: the
    // adapters' heartbeats and subscriptions never let it. SIGKILL ends it, then stop() reaps it.
    const serve = started[0]!;
    const stop = serve.stop;
    serve.stop = () => (serve.signal!("SIGKILL"), stop());
    const url = serve.url;
    assert.equal(url, `http://127.0.0.1:${port}`);
    // Every isolate is up (and listening) once the first client's counts three.
    await counted([await connect(url)], 3);
    const clients: ClientSocket[] = [];
    for (let i = 0; i < 24; i++) clients.push(await connect(url));
    const uids = await Promise.all(clients.map((client) => ask<Whoami>(client, "whoami")));
    // Which isolate takes a connection is up to Deno (connections opened all at once tend to
    // land on one; one after another, they spread); with 24 of them, more than one gets some.
    assert.ok(new Set(uids.map((who) => who.uid)).size >= 2, "clients on several isolates");
    await counted(clients, 3);
    await reachesAll(clients, 3);
    // And from a client of every isolate.
    const firsts = [...new Map(uids.map((who, i) => [who.uid, clients[i]!])).values()];
    const all = Promise.all(clients.map((client) => times(client, "each", firsts.length)));
    for (const first of firsts) first.emit("broadcast", "each", first.id);
    for (const received of await all) {
      assert.deepEqual(received.map(([id]) => id).sort(), firsts.map((f) => f.id).sort());
    }
  });
});

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
