// The scenarios of the official Engine.IO v4 compliance suite (socketio/socket.io,
// docs/engine.io-protocol/v4-test-suite), written as our own tests against the echo fixture
// (`deno task fixture:engine` and its twins) started as a real process on every runtime.
import assert from "node:assert/strict";
import type { Started } from "../_process.ts";
import { connect } from "../_ws_client.ts";
import { type Runtime, RUNTIMES } from "../conformance/_runtimes.ts";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withFixture(
  runtime: Runtime,
  fn: (http: string, ws: string) => Promise<void>,
): Promise<void> {
  const server: Started = await runtime.startEngineEcho(false);
  try {
    await fn(server.url, server.url.replace("http", "ws"));
  } finally {
    await server.stop();
  }
}

async function openPolling(http: string): Promise<string> {
  const response = await fetch(`${http}/engine.io/?EIO=4&transport=polling`);
  return JSON.parse((await response.text()).slice(1)).sid;
}

const status = async (response: Promise<Response>) => {
  const r = await response;
  await r.body?.cancel();
  return r.status;
};

for (const runtime of RUNTIMES) {
  Deno.test(`compliance v4 (${runtime.name}): handshake, messages, heartbeat, close and upgrade`, async (t) => {
    await withFixture(runtime, async (http, ws) => {
      const base = `${http}/engine.io/`;

      await t.step("polling handshake opens a session with the fixture's settings", async () => {
        const response = await fetch(`${base}?EIO=4&transport=polling`);
        assert.equal(response.status, 200);
        const content = await response.text();
        assert.equal(content[0], "0");
        const open = JSON.parse(content.slice(1));
        assert.deepEqual(Object.keys(open).sort(), [
          "maxPayload",
          "pingInterval",
          "pingTimeout",
          "sid",
          "upgrades",
        ]);
        assert.deepEqual(open.upgrades, ["websocket"]);
        assert.equal(open.pingInterval, PING_INTERVAL);
        assert.equal(open.pingTimeout, PING_TIMEOUT);
        assert.equal(open.maxPayload, 1000000);
      });

      await t.step("polling handshake fails on bad EIO, transport or method", async () => {
        for (
          const query of [
            "transport=polling",
            "EIO=abc&transport=polling",
            "EIO=4",
            "EIO=4&transport=abc",
          ]
        ) {
          assert.equal(await status(fetch(`${base}?${query}`)), 400, query);
        }
        for (const method of ["POST", "PUT"]) {
          assert.equal(
            await status(fetch(`${base}?EIO=4&transport=polling`, { method })),
            400,
            method,
          );
        }
      });

      await t.step("websocket handshake sends the open packet with no upgrades", async () => {
        const socket = connect(`${ws}/engine.io/?EIO=4&transport=websocket`);
        const data = await socket.message() as string;
        assert.equal(data[0], "0");
        const open = JSON.parse(data.slice(1));
        assert.deepEqual(open.upgrades, []);
        assert.equal(open.pingInterval, PING_INTERVAL);
        await socket.close();
      });

      await t.step("websocket handshake fails on bad EIO or transport", async () => {
        for (
          const query of [
            "transport=websocket",
            "EIO=abc&transport=websocket",
            "EIO=4",
            "EIO=4&transport=abc",
          ]
        ) {
          const socket = connect(`${ws}/engine.io/?${query}`);
          await socket.next("close");
        }
      });

      await t.step("polling carries one, several, and mixed text and binary packets", async () => {
        for (const body of ["4hello", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA=="]) {
          const sid = await openPolling(http);
          const push = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
            method: "POST",
            body,
          });
          assert.equal(push.status, 200);
          assert.equal(await push.text(), "ok");
          const poll = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
          assert.equal(await poll.text(), body);
        }
      });

      await t.step("polling closes the session upon an invalid packet", async () => {
        const sid = await openPolling(http);
        assert.equal(
          await status(
            fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "abc" }),
          ),
          400,
        );
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
      });

      await t.step("polling closes the session upon duplicate poll requests", async () => {
        const sid = await openPolling(http);
        const first = fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
        await sleep(5);
        const second = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}&t=burst`);
        assert.equal(second.status, 400);
        await second.body?.cancel();
        const firstResponse = await first;
        assert.equal(firstResponse.status, 200);
        assert.equal(await firstResponse.text(), "1");
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
      });

      await t.step("polling closes the session upon a cancelled poll", async () => {
        const sid = await openPolling(http);
        const controller = new AbortController();
        const cancelled = fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          signal: controller.signal,
        }).catch(() => {});
        await sleep(5);
        controller.abort();
        await cancelled;
        await sleep(20);
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
      });

      await t.step(
        "websocket carries text and binary, and closes upon an invalid packet",
        async () => {
          const socket = connect(`${ws}/engine.io/?EIO=4&transport=websocket`);
          await socket.message();
          socket.socket.send("4hello");
          assert.equal(await socket.message(), "4hello");
          socket.socket.send(Uint8Array.from([1, 2, 3, 4]));
          assert.deepEqual(
            new Uint8Array(await socket.message() as ArrayBuffer),
            Uint8Array.from([1, 2, 3, 4]),
          );
          socket.socket.send("abc");
          await socket.next("close");
        },
      );

      await t.step("heartbeat over polling: ping, pong, and the ping timeout", async () => {
        const sid = await openPolling(http);
        for (let i = 0; i < 3; i++) {
          const poll = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
          assert.equal(await poll.text(), "2");
          assert.equal(
            await status(
              fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "3" }),
            ),
            200,
          );
        }
        const idle = await openPolling(http);
        await sleep(PING_INTERVAL + PING_TIMEOUT + 50);
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${idle}`)), 400);
      });

      await t.step("heartbeat over websocket: ping, pong, and the ping timeout", async () => {
        const socket = connect(`${ws}/engine.io/?EIO=4&transport=websocket`);
        await socket.message();
        for (let i = 0; i < 3; i++) {
          assert.equal(await socket.message(), "2");
          socket.socket.send("3");
        }
        await socket.close();
        const silent = connect(`${ws}/engine.io/?EIO=4&transport=websocket`);
        await silent.next("close", PING_INTERVAL + PING_TIMEOUT + 2000);
      });

      await t.step("close: a close packet ends the session", async () => {
        const sid = await openPolling(http);
        const [poll] = await Promise.all([
          fetch(`${base}?EIO=4&transport=polling&sid=${sid}`),
          sleep(5).then(() =>
            fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" })
          ).then((r) => r.text()),
        ]);
        assert.equal(await poll.text(), "6");
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
        const socket = connect(`${ws}/engine.io/?EIO=4&transport=websocket`);
        await socket.message();
        socket.socket.send("1");
        await socket.next("close");
      });

      await t.step("upgrade: probe, noop, upgrade, then messages over the socket", async () => {
        const sid = await openPolling(http);
        const socket = connect(`${ws}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
        await socket.next("open");
        socket.socket.send("2probe");
        assert.equal(await socket.message(), "3probe");
        const poll = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
        assert.equal(await poll.text(), "6");
        socket.socket.send("5");
        socket.socket.send("4hello");
        assert.equal(await socket.message(), "4hello");
        await socket.close();
      });

      await t.step(
        "upgrade: later HTTP requests and a second WebSocket with the same sid are refused",
        async () => {
          const sid = await openPolling(http);
          const socket = connect(`${ws}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
          await socket.next("open");
          socket.socket.send("2probe");
          await socket.message();
          socket.socket.send("5");
          await sleep(10);
          assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
          const second = connect(`${ws}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
          await second.next("close");
          socket.socket.send("4hello");
          assert.equal(await socket.message(), "4hello");
          await socket.close();
        },
      );
    });
  });
}
