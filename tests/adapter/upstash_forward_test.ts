// Polling without sticky sessions across real isolates: `DENO_JOBS=4 deno serve --parallel` of
// scripts/fixture_upstash.ts with FORWARD=1 (forwardRequests on the Upstash adapter), against one
// redis-server behind the Upstash-REST fixture. Every HTTP connection goes to an isolate of
// Deno's choosing, so a polling client's requests land on isolates that do not hold its session
// and are forwarded to the one that does, and a WebSocket upgrade is relayed to it.
import assert from "node:assert/strict";
import { io as connectClient } from "socket.io-client";
import { Redis } from "@upstash/redis";
import { streamEntries } from "../../adapter/_upstash_log.ts";
import { decodeMessage, MessageType } from "../../adapter/mod.ts";
import { DENO, type Started, startServer } from "../_process.ts";
import { startUpstashStore } from "../fixtures/mod.ts";
import { type ClientSocket, once, withUpstashCluster } from "./_upstash_cluster.ts";

const SCRIPT = new URL("../../scripts/fixture_upstash.ts", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function summary(name: string, ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const p50 = quantile(sorted, 0.5).toFixed(2);
  const p99 = quantile(sorted, 0.99).toFixed(2);
  return `${name}: n=${sorted.length} p50 ${p50} ms p99 ${p99} ms`;
}

// One request on a connection of its own (`connection: close`), so Deno picks an isolate for
// each; resolves with the answer, the isolate that took it, and how long it took.
async function request(
  url: string,
  init: RequestInit = {},
): Promise<{ text: string; node: string; ms: number; status: number }> {
  const headers = new Headers(init.headers);
  headers.set("connection", "close");
  const start = performance.now();
  const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  const ms = performance.now() - start;
  return { text, node: response.headers.get("x-edgeio-node") ?? "", ms, status: response.status };
}

async function withServe(fn: (url: string) => Promise<void>): Promise<void> {
  const store = await startUpstashStore();
  let serve: Started | undefined;
  try {
    const port = freePort();
    serve = await startServer(
      DENO,
      [
        "serve",
        "--parallel",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--port",
        String(port),
        "--host",
        "127.0.0.1",
        SCRIPT,
      ],
      {
        UPSTASH_URL: store.credentials.url,
        UPSTASH_TOKEN: store.credentials.token,
        FORWARD: "1",
        DENO_JOBS: "4",
      },
      20_000,
      /Listening on (http:\/\/[^\s/]+)/,
    );
    await fn(serve.url);
    assert.deepEqual(serve.output.filter((line) => /error|uncaught/i.test(line)), []);
  } finally {
    // `deno serve` waits on SIGTERM for the event loop to drain, which the adapters' heartbeats
    // never let happen: SIGKILL ends it, then stop() reaps it.
    if (serve) {
      serve.signal!("SIGKILL");
      await serve.stop();
    }
    await store.stop();
  }
}

/** Waits until the isolates (seen through fresh connections) all count `n` servers. */
async function everyIsolateUp(url: string, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  const seen = new Set<string>();
  while (Date.now() < deadline) {
    const open = await request(`${url}/socket.io/?EIO=4&transport=polling`);
    seen.add(open.node);
    if (seen.size === n) break;
  }
  assert.equal(seen.size, n, `${n} isolates answered`);
  // Each isolate knows the others once it has heard their heartbeats (every 200 ms).
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

Deno.test("forwardRequests under `DENO_JOBS=4 deno serve --parallel`: forwarded and local polls, latency", async () => {
  await withServe(async (url) => {
    await everyIsolateUp(url, 4);
    const local: number[] = [];
    const forwarded: number[] = [];
    const localGet: number[] = [];
    const forwardedGet: number[] = [];
    for (let session = 0; session < 8; session++) {
      const open = await request(`${url}/socket.io/?EIO=4&transport=polling`);
      const sid: string = JSON.parse(open.text.slice(1)).sid;
      const owner = sid.slice(0, sid.indexOf("."));
      assert.equal(owner, open.node, "the sid names the isolate that made it");
      const at = `${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
      const connect = await request(at, { method: "POST", body: "40" });
      assert.deepEqual([connect.status, connect.text], [200, "ok"]);
      assert.match((await request(at)).text, /^40\{"sid":"[^"]+","pid":"[^"]+"\}$/);
      for (let i = 0; i < 25; i++) {
        // The ack is queued on the owner before the POST is answered, so the GET that follows
        // is answered at once: both measure the hop, not a wait.
        const post = await request(at, { method: "POST", body: `42${i}["whoami"]` });
        assert.deepEqual([post.status, post.text], [200, "ok"]);
        (post.node === owner ? local : forwarded).push(post.ms);
        const get = await request(at);
        assert.equal(get.status, 200);
        // The owner's ping (every 1000 ms) may travel with the ack: answer it.
        const packets = get.text.split("\x1e");
        if (packets.includes("2")) await request(at, { method: "POST", body: "3" });
        const ack = packets.filter((packet) => packet !== "2");
        assert.equal(ack.length, 1, get.text);
        assert.equal(ack[0]!.slice(0, `43${i}`.length), `43${i}`);
        const [who] = JSON.parse(ack[0]!.slice(`43${i}`.length));
        assert.equal(who.uid, owner);
        (get.node === owner ? localGet : forwardedGet).push(get.ms);
      }
      // A parked poll, forwarded or not, is answered by the owner's ping (pingInterval 1000).
      const parked = await request(at);
      assert.deepEqual([parked.status, parked.text], [200, "2"]);
      const closed = await request(at, { method: "POST", body: "1" });
      assert.equal(closed.status, 200);
    }
    assert.ok(forwarded.length > 0 && local.length > 0, "both kinds of request were made");
    // deno-lint-ignore no-console -- the latency numbers are what this test reports
    console.log(
      [
        summary("POST local", local),
        summary("POST forwarded", forwarded),
        summary("GET local", localGet),
        summary("GET forwarded", forwardedGet),
      ].join("\n"),
    );
  });
});

/**
 * Connects 4 polling-only official clients and 8 that upgrade, then for `ms` sends acked events
 * and room broadcasts; checks every ack and every broadcast (in order), no connect_error and no
 * disconnection, that every upgrade-capable client upgraded, that polling requests were
 * forwarded and upgrades relayed; reports the numbers.
 */
async function sustained(url: string, ms: number): Promise<void> {
  const clients: ClientSocket[] = [];
  const refused: string[] = [];
  const POLLING = 4;
  try {
    for (let i = 0; i < 12; i++) {
      const client = connectClient(url, {
        forceNew: true,
        reconnection: false,
        transports: i < POLLING ? ["polling"] : ["polling", "websocket"],
        auth: { room: i % 2 ? "odd" : "even" },
      });
      client.on("connect_error", (error) => refused.push(`connect_error: ${error.message}`));
      client.on("disconnect", (reason) => refused.push(`disconnect: ${reason}`));
      clients.push(client);
    }
    await Promise.all(clients.map((client) => once(client, "connect", 10_000)));
    // Every upgrade-capable client upgrades (through another isolate, most of the time).
    await Promise.all(
      clients.slice(POLLING).map((client) =>
        client.io.engine.transport.name === "websocket"
          ? undefined
          : once(client.io.engine, "upgrade", 10_000)
      ),
    );
    const owners = await Promise.all(
      clients.map((client) =>
        client.timeout(5000).emitWithAck("whoami") as Promise<{ uid: string }>
      ),
    );
    // One client per owner isolate reports how many requests were forwarded to its isolate.
    const firsts = [...new Map(owners.map((owner, i) => [owner.uid, clients[i]!])).values()];
    const countOf = async (question: string) => {
      const counts = await Promise.all(
        firsts.map((client) => client.timeout(5000).emitWithAck(question) as Promise<number>),
      );
      return counts.reduce((a, b) => a + b, 0);
    };
    const forwardedBefore = await countOf("forwarded");
    const received = clients.map(() => [] as unknown[]);
    clients.forEach((client, i) => client.on("news", (n: unknown) => received[i]!.push(n)));
    const latencies = clients.map(() => [] as number[]);
    const end = Date.now() + ms;
    let round = 0;
    while (Date.now() < end) {
      await Promise.all(clients.map(async (client, i) => {
        const start = performance.now();
        const who = await client.timeout(5000).emitWithAck("whoami") as { uid: string };
        latencies[i]!.push(performance.now() - start);
        assert.equal(who.uid, owners[i]!.uid);
      }));
      clients[0]!.emit("to", "even", "news", round);
      clients[POLLING + 1]!.emit("to", "odd", "news", round);
      round++;
    }
    const expected = Array.from({ length: round }, (_, r) => r);
    const deadline = Date.now() + 5000;
    while (received.some((r) => r.length < round) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const r of received) assert.deepEqual(r, expected);
    assert.deepEqual(refused, []);
    assert.ok(clients.every((client) => client.connected));
    const transports = clients.map((client) => client.io.engine.transport.name);
    assert.deepEqual(transports, [
      ...Array(POLLING).fill("polling"),
      ...Array(8).fill("websocket"),
    ]);
    const forwarded = await countOf("forwarded") - forwardedBefore;
    const relayed = await countOf("relayed");
    assert.ok(forwarded > 0, "polling requests were forwarded");
    assert.ok(relayed > 0, "upgrades were relayed");
    // deno-lint-ignore no-console -- the numbers are what this test reports
    console.log(
      `${clients.length} clients (${POLLING} polling-only) on ${firsts.length} isolates, ` +
        `${round} rounds, ${forwarded} polling requests forwarded, ${relayed} upgrades ` +
        `relayed; ${summary("polling emitWithAck", latencies.slice(0, POLLING).flat())}; ` +
        summary("websocket emitWithAck", latencies.slice(POLLING).flat()),
    );
  } finally {
    for (const client of clients) client.disconnect();
  }
}

Deno.test("forwardRequests under `DENO_JOBS=4 deno serve --parallel`: polling-only and upgrading socket.io-client clients for 10 s", async () => {
  await withServe(async (url) => {
    await everyIsolateUp(url, 4);
    await sustained(url, 10_000);
  });
});

Deno.test("forwardRequests with lazy Upstash adapters: a handshake subscribes its owner, a fresh server forwards, on per-server channels, not through the log", async () => {
  await withUpstashCluster(
    { nodes: 3, adapter: { lazy: true }, server: { forwardRequests: true, pingInterval: 1000 } },
    async ({ nodes, store }) => {
      const [a, b, c] = nodes.map((node) => node.io);
      // Nobody subscribed yet: A's handshake subscribes A before it answers.
      const open = await a!.fetch(new Request("http://x/socket.io/?EIO=4&transport=polling"));
      const sid: string = JSON.parse((await open.text()).slice(1)).sid;
      const at = `http://x/socket.io/?EIO=4&transport=polling&sid=${sid}`;
      // B and C have served nobody: each subscribes, then forwards.
      const post = await b!.fetch(new Request(at, { method: "POST", body: "40" }));
      assert.deepEqual([post.status, await post.text()], [200, "ok"]);
      const get = await c!.fetch(new Request(at));
      assert.equal(get.status, 200);
      assert.match(await get.text(), /^40\{"sid":"[^"]+"\}$/);
      assert.equal(a!.of("/").sockets.size, 1);
      // A body near maxHttpBufferSize (1 MB) crosses too: more than a 1 MiB line as base64.
      const got = new Promise((resolve) => a!.engine.clients.get(sid)!.once("message", resolve));
      const big = "4" + "é".repeat(450_000);
      const large = await c!.fetch(new Request(at, { method: "POST", body: big }));
      assert.deepEqual([large.status, await large.text()], [200, "ok"]);
      assert.equal(await got, big.slice(1));
      // Each of the three subscribed to the namespace's channel and to its own.
      assert.equal(store.rest.subscriptions, 6);
      // The log every server reads holds their heartbeats, none of the forwarded traffic.
      const redis = new Redis({ ...store.credentials, automaticDeserialization: false });
      const log = streamEntries(await redis.xrange("socket.io#/#log", "-", "+"));
      const types = new Set(log.map(([, text]) => decodeMessage(text).type));
      assert.ok(types.has(MessageType.INITIAL_HEARTBEAT));
      assert.ok(
        !types.has(MessageType.FORWARD_REQUEST) && !types.has(MessageType.FORWARD_RESPONSE),
      );
    },
  );
});

Deno.test("forwardRequests with Upstash adapters in process: an upgrade relayed over the per-server channels (large frames in parts), ended with transport close when the store drops them", async () => {
  await withUpstashCluster(
    { nodes: 2, server: { forwardRequests: true, pingInterval: 1000 } },
    async ({ nodes, store }) => {
      const [a, b] = nodes.map((node) => node.io);
      a!.on("connection", (socket) => {
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      });
      // Polling to A, which owns every session; every upgrade to B, which relays it.
      const router = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        (request) => (request.headers.get("upgrade") === "websocket" ? b! : a!).fetch(request),
      );
      const client = connectClient(`http://127.0.0.1:${router.addr.port}`, {
        forceNew: true,
        reconnection: false,
        transports: ["polling", "websocket"],
      });
      try {
        await once(client, "connect", 5000);
        if (client.io.engine.transport.name !== "websocket") {
          await once(client.io.engine, "upgrade", 5000);
        }
        const bytes = new Uint8Array([0, 1, 2, 255]);
        for (let i = 0; i < 20; i++) {
          const answer = await client.timeout(3000).emitWithAck("echo", { i, bytes });
          assert.equal(answer.i, i);
          assert.deepEqual(new Uint8Array(answer.bytes), bytes);
        }
        // Frames larger than what the event stream carries in one line travel in parts.
        const big = new Uint8Array(900_000).map((_, i) => i % 251);
        const text = "é".repeat(300_000);
        const answer = await client.timeout(5000).emitWithAck("echo", { big, text });
        assert.deepEqual(new Uint8Array(answer.big), big);
        assert.equal(answer.text, text);
        const session = a!.engine.clients.get(client.io.engine.id)!;
        assert.equal(session.transportName, "websocket");
        // The store goes away: the relay cannot know what it lost, so it ends on both sides.
        const closed = once(client, "disconnect", 5000);
        const ended = new Promise((resolve) => session.once("close", resolve));
        await store.rest.pause();
        assert.equal((await closed)[0], "transport close");
        assert.equal(await ended, "transport close");
        store.rest.resume();
      } finally {
        client.disconnect();
        await router.shutdown();
      }
    },
  );
});
