// examples/deno-deploy/ under `deno serve` as its README says: once on its own (in-memory), and
// once as two isolates (`DENO_JOBS=2 deno serve --parallel`) sharing rooms through the Upstash
// adapter against a real redis-server behind the Upstash-REST fixture.
import assert from "node:assert/strict";
import { DENO, startServer } from "../_process.ts";
import { startUpstashStore } from "../fixtures/mod.ts";
import { type ClientSocket, example, exerciseChat, once, WAIT } from "./_examples.ts";
import { io as connectClient } from "socket.io-client";

const MAIN = example("deno-deploy/main.ts");
const PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-env"];
// `deno serve` prints its own line: "deno serve: Listening on http://127.0.0.1:<port>/".
const LISTENING = /Listening on (http:\/\/[^\s/]+)/;

Deno.test("examples/deno-deploy under deno serve, in memory: event acks and room broadcasts", async () => {
  const server = await startServer(
    DENO,
    ["serve", ...PERMISSIONS, "--port", "0", "--host", "127.0.0.1", MAIN],
    {},
    20_000,
    LISTENING,
  );
  try {
    await exerciseChat(server.url);
  } finally {
    await server.stop();
  }
  assert.deepEqual(server.output.filter((line) => /error/i.test(line)), []);
});

Deno.test("examples/deno-deploy on two isolates with Upstash: a room broadcast reaches clients of both", async () => {
  const store = await startUpstashStore();
  const clients: ClientSocket[] = [];
  try {
    const port = freePort();
    const server = await startServer(
      DENO,
      [
        "serve",
        "--parallel",
        ...PERMISSIONS,
        "--port",
        String(port),
        "--host",
        "127.0.0.1",
        MAIN,
      ],
      {
        DENO_JOBS: "2",
        UPSTASH_REDIS_REST_URL: store.credentials.url,
        UPSTASH_REDIS_REST_TOKEN: store.credentials.token,
      },
      20_000,
      LISTENING,
    );
    try {
      // One after another, so that Deno spreads them over its isolates; `deno serve` says it is
      // listening once the first isolate is, so connect until the second one took some too.
      const isolates: string[] = [];
      const deadline = Date.now() + WAIT;
      while (clients.length < 8 || new Set(isolates).size < 2) {
        assert.ok(Date.now() < deadline && clients.length < 64, `one isolate only: ${isolates}`);
        const socket = connectClient(server.url, {
          forceNew: true,
          reconnection: false,
          transports: ["websocket"],
        });
        clients.push(socket);
        const [welcome] = await once(socket, "welcome") as [{ id: string; isolate: string }];
        assert.equal(welcome.id, socket.id);
        isolates.push(welcome.isolate);
        assert.equal(await socket.timeout(WAIT).emitWithAck("join", "lobby"), "lobby");
        if (new Set(isolates).size < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const senders = [...new Set(isolates)].map((name) => clients[isolates.indexOf(name)]!);
      assert.equal(senders.length, 2);

      // An isolate subscribes to Upstash on its first connection, without waiting: probe each
      // way in room "probe" until a message gets across, so the exact checks below start when
      // both subscriptions are up.
      for (const sender of senders) {
        assert.equal(await sender.timeout(WAIT).emitWithAck("join", "probe"), "probe");
      }
      for (const [from, to] of [senders, [...senders].reverse()]) {
        const arrived = inRoom(to!, "probe");
        let tries = 0;
        while (!await Promise.race([arrived.then(() => true), sleep(200).then(() => false)])) {
          assert.ok(++tries < WAIT / 200, "no probe got across within the bound");
          await from!.timeout(WAIT).emitWithAck("message", "probe", "probe");
        }
      }

      // No stickiness (forwardRequests): a raw polling session whose every request is on a
      // connection of its own, so Deno hands each to either isolate, and clients that upgrade
      // on whichever isolate takes the WebSocket (relayed to the owner when it is the other).
      await pollWithoutStickiness(server.url);
      for (let i = 0; i < 6; i++) {
        const socket = connectClient(server.url, {
          forceNew: true,
          reconnection: false,
          transports: i < 2 ? ["polling"] : ["polling", "websocket"],
        });
        clients.push(socket);
        await once(socket, "welcome");
        assert.equal(await socket.timeout(WAIT).emitWithAck("join", "lobby"), "lobby");
        if (i >= 2 && socket.io.engine.transport.name !== "websocket") {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no upgrade within ${WAIT} ms`)), WAIT);
            socket.io.engine.once("upgrade", () => resolve(clearTimeout(timer)));
          });
        }
      }
      assert.deepEqual(
        clients.slice(-6).map((socket) => socket.io.engine.transport.name),
        ["polling", "polling", "websocket", "websocket", "websocket", "websocket"],
      );

      // From a client of each isolate, to every other client of the room, on either isolate.
      for (const [n, sender] of senders.entries()) {
        const text = `hello ${n}`;
        const others = clients.filter((client) => client !== sender);
        const received = Promise.all(others.map((client) => inRoom(client, "lobby")));
        assert.deepEqual(await sender.timeout(WAIT).emitWithAck("message", "lobby", text), {
          ok: true,
        });
        for (const message of await received) {
          assert.deepEqual(message, { room: "lobby", from: sender.id, text });
        }
      }
    } finally {
      for (const socket of clients) socket.disconnect();
      // The example closes its server on SIGTERM, so `deno serve` ends although the adapter's
      // subscription is open.
      await server.stop();
    }
    assert.deepEqual(server.output.filter((line) => /error|uncaught/i.test(line)), []);
  } finally {
    await store.stop();
  }
});

/**
 * A polling session driven by hand, every request on a connection of its own: answered whichever
 * isolate takes it (Session ID unknown otherwise), through connect, a join with ack and its poll.
 */
async function pollWithoutStickiness(url: string): Promise<void> {
  const send = async (query: string, init: RequestInit = {}) => {
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling${query}`, {
      ...init,
      headers: { connection: "close" },
      signal: AbortSignal.timeout(WAIT),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return text;
  };
  const sid = JSON.parse((await send("")).slice(1)).sid;
  assert.equal(await send(`&sid=${sid}`, { method: "POST", body: "40" }), "ok");
  assert.match(await send(`&sid=${sid}`), /^40\{"sid":/);
  for (let i = 0; i < 3; i++) {
    assert.equal(await send(`&sid=${sid}`, { method: "POST", body: `42${i}["join","raw"]` }), "ok");
    const packets = (await send(`&sid=${sid}`)).split("\x1e");
    assert.ok(packets.includes(`43${i}["raw"]`), packets.join(" "));
  }
  assert.equal(await send(`&sid=${sid}`, { method: "POST", body: "1" }), "ok");
}

/** The next `message` for `room` (late probes of another room are skipped), within the bound. */
function inRoom(socket: ClientSocket, room: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("message", listener);
      reject(new Error(`no message in ${room} within ${WAIT} ms`));
    }, WAIT);
    const listener = (message: { room?: unknown }) => {
      if (message.room !== room) return;
      clearTimeout(timer);
      socket.off("message", listener);
      resolve(message);
    };
    socket.on("message", listener);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
