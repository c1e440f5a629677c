// The scenarios of the official Socket.IO v5 compliance suite (socketio/socket.io,
// docs/socket.io-protocol/v5-test-suite), written as our own tests against the fixture
// (`deno task fixture:socketio`) started as a real process: the Engine.IO part on the Socket.IO
// path, then the Socket.IO part over raw WebSocket frames and over raw long-polling requests.
import assert from "node:assert/strict";
import { DENO, type Started, startServer } from "../_process.ts";
import { connect } from "../_ws_client.ts";
import { bytesOf, RawClient, type Received, type Transport } from "../_raw_client.ts";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const CONNECT_TIMEOUT = 1000;
const FIXTURE = new URL("../../scripts/fixture_socketio.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withFixture(fn: (http: string) => Promise<void>): Promise<void> {
  const server: Started = await startServer(DENO, [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-env",
    FIXTURE,
  ]);
  try {
    await fn(server.url);
  } finally {
    await server.stop();
  }
}

const status = async (response: Promise<Response>) => {
  const r = await response;
  await r.body?.cancel();
  return r.status;
};

async function openPolling(base: string): Promise<string> {
  const response = await fetch(`${base}?EIO=4&transport=polling`);
  return JSON.parse((await response.text()).slice(1)).sid;
}

function sidOf(packet: Received, prefix: string): string {
  assert.equal(typeof packet, "string");
  const text = packet as string;
  assert.ok(text.startsWith(prefix), text);
  const handshake = JSON.parse(text.slice(prefix.length));
  assert.deepEqual(Object.keys(handshake), ["sid"]);
  assert.equal(typeof handshake.sid, "string");
  assert.ok(handshake.sid.length > 0);
  return handshake.sid;
}

Deno.test("compliance socket.io v5: the Engine.IO part on the Socket.IO path", async (t) => {
  await withFixture(async (http) => {
    const base = `${http}/socket.io/`;
    const ws = base.replace("http", "ws");

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
      assert.equal(typeof open.sid, "string");
      assert.deepEqual(open.upgrades, ["websocket"]);
      assert.equal(open.pingInterval, PING_INTERVAL);
      assert.equal(open.pingTimeout, PING_TIMEOUT);
      assert.equal(open.maxPayload, 1000000);
    });

    await t.step("polling handshake fails on a bad EIO, transport or method", async () => {
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
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling`, { method })), 400);
      }
    });

    await t.step("EIO=3 is refused with code 5", async () => {
      const response = await fetch(`${base}?EIO=3&transport=polling`);
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        code: 5,
        message: "Unsupported protocol version",
      });
    });

    await t.step("websocket handshake sends the open packet with no upgrades", async () => {
      const socket = connect(`${ws}?EIO=4&transport=websocket`);
      const data = await socket.message() as string;
      assert.equal(data[0], "0");
      const open = JSON.parse(data.slice(1));
      assert.deepEqual(Object.keys(open).sort(), [
        "maxPayload",
        "pingInterval",
        "pingTimeout",
        "sid",
        "upgrades",
      ]);
      assert.deepEqual(open.upgrades, []);
      assert.equal(open.pingInterval, PING_INTERVAL);
      assert.equal(open.pingTimeout, PING_TIMEOUT);
      assert.equal(open.maxPayload, 1000000);
      await socket.close();
    });

    await t.step("websocket handshake fails on a bad EIO or transport", async () => {
      for (
        const query of [
          "transport=websocket",
          "EIO=abc&transport=websocket",
          "EIO=4",
          "EIO=4&transport=abc",
        ]
      ) {
        const socket = connect(`${ws}?${query}`);
        const event = await socket.next("close");
        assert.equal(event.type, "close", query);
        assert.equal(socket.socket.readyState, WebSocket.CLOSED);
      }
    });

    await t.step("heartbeat over polling: ping, pong, and the ping timeout", async () => {
      const sid = await openPolling(base);
      for (let i = 0; i < 3; i++) {
        const poll = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
        assert.equal(poll.status, 200);
        assert.equal(await poll.text(), "2");
        const push = fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          method: "POST",
          body: "3",
        });
        assert.equal(await status(push), 200);
      }
      const idle = await openPolling(base);
      await sleep(PING_INTERVAL + PING_TIMEOUT + 50);
      assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${idle}`)), 400);
    });

    await t.step("heartbeat over websocket: ping, pong, and the ping timeout", async () => {
      const socket = connect(`${ws}?EIO=4&transport=websocket`);
      await socket.message();
      for (let i = 0; i < 3; i++) {
        assert.equal(await socket.message(), "2");
        socket.socket.send("3");
      }
      await socket.close();
      const silent = connect(`${ws}?EIO=4&transport=websocket`);
      await silent.message();
      // Joined, so only the heartbeat (not the connect timeout) can end it.
      silent.socket.send("40");
      const started = Date.now();
      await silent.next("close", PING_INTERVAL + PING_TIMEOUT + 3000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= PING_INTERVAL + PING_TIMEOUT - 50, `closed after ${elapsed} ms`);
    });

    await t.step("close: a close packet ends the session", async () => {
      const sid = await openPolling(base);
      const [poll] = await Promise.all([
        fetch(`${base}?EIO=4&transport=polling&sid=${sid}`),
        sleep(5).then(() =>
          fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" })
        ).then((r) => r.text()),
      ]);
      assert.equal(poll.status, 200);
      assert.equal(await poll.text(), "6");
      assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
      const socket = connect(`${ws}?EIO=4&transport=websocket`);
      await socket.message();
      socket.socket.send("1");
      await socket.next("close");
    });

    await t.step("upgrade: probe, noop, upgrade, then packets over the socket", async () => {
      const sid = await openPolling(base);
      const socket = connect(`${ws}?EIO=4&transport=websocket&sid=${sid}`);
      await socket.next("open");
      socket.socket.send("2probe");
      assert.equal(await socket.message(), "3probe");
      const poll = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(await poll.text(), "6");
      socket.socket.send("5");
      socket.socket.send("40");
      assert.equal(sidOf(await socket.message(), "40").length > 0, true);
      await socket.close();
    });

    await t.step(
      "upgrade: later HTTP requests and a second WebSocket with the same sid are refused",
      async () => {
        const sid = await openPolling(base);
        const socket = connect(`${ws}?EIO=4&transport=websocket&sid=${sid}`);
        await socket.next("open");
        socket.socket.send("2probe");
        assert.equal(await socket.message(), "3probe");
        socket.socket.send("5");
        await sleep(10);
        assert.equal(await status(fetch(`${base}?EIO=4&transport=polling&sid=${sid}`)), 400);
        const second = connect(`${ws}?EIO=4&transport=websocket&sid=${sid}`);
        await second.next("close");
        socket.socket.send("40");
        sidOf(await socket.message(), "40");
        await socket.close();
      },
    );
  });
});

for (const transport of ["websocket", "polling"] as Transport[]) {
  Deno.test(`compliance socket.io v5 (${transport}): connect, disconnect and messages`, async (t) => {
    await withFixture(async (http) => {
      const base = `${http}/socket.io/`;
      const clients: RawClient[] = [];
      const open = async (autoPong = true) => {
        const client = await RawClient.connect({ base, transport, autoPong });
        clients.push(client);
        return client;
      };
      // Joined to "/" with the `auth` event consumed, as the official suite's helper does.
      const joined = async () => {
        const client = await open();
        await client.sendEngine("40");
        sidOf(await client.next(), "40");
        assert.equal(await client.next(), '42["auth",{}]');
        return client;
      };
      try {
        await t.step("connect to the main namespace", async () => {
          const client = await open();
          await client.sendEngine("40");
          const sid = sidOf(await client.next(), "40");
          assert.notEqual(sid, client.sid, "the Socket.IO id is not the Engine.IO one");
          assert.equal(await client.next(), '42["auth",{}]');
          await client.close();
        });

        await t.step("connect to the main namespace with a payload", async () => {
          const client = await open();
          await client.sendEngine('40{"token":"123"}');
          sidOf(await client.next(), "40");
          assert.equal(await client.next(), '42["auth",{"token":"123"}]');
          await client.close();
        });

        await t.step("connect to a custom namespace", async () => {
          const client = await open();
          await client.sendEngine("40/custom,");
          sidOf(await client.next(), "40/custom,");
          assert.equal(await client.next(), '42/custom,["auth",{}]');
          await client.close();
        });

        await t.step("connect to a custom namespace with a payload", async () => {
          const client = await open();
          await client.sendEngine('40/custom,{"token":"abc"}');
          sidOf(await client.next(), "40/custom,");
          assert.equal(await client.next(), '42/custom,["auth",{"token":"abc"}]');
          await client.close();
        });

        await t.step("an unknown namespace is refused", async () => {
          const client = await open();
          await client.sendEngine("40/random");
          assert.equal(await client.next(), '44/random,{"message":"Invalid namespace"}');
          // Refused, not closed: the main namespace can still be joined.
          await client.sendEngine("40");
          sidOf(await client.next(), "40");
          await client.close();
        });

        await t.step("an invalid handshake closes the connection", async () => {
          const client = await open();
          await client.sendEngine("4abc");
          await client.closed();
        });

        await t.step("no handshake: closed after connectTimeout", async () => {
          // Pings are answered, so only the connect timeout can end the session.
          const started = Date.now();
          const client = await open();
          await client.closed(CONNECT_TIMEOUT + 3000);
          const elapsed = Date.now() - started;
          assert.ok(elapsed >= CONNECT_TIMEOUT - 50, `closed after ${elapsed} ms`);
          assert.deepEqual(client.drain(), []);
        });

        await t.step("disconnect from the main namespace: nothing is sent back", async () => {
          const client = await joined();
          const silent = await RawClient.connect({ base, transport, autoPong: false });
          clients.push(silent);
          await silent.sendEngine("40");
          sidOf(await silent.next(), "40");
          assert.equal(await silent.next(), '42["auth",{}]');
          await silent.sendEngine("41");
          // The next packet is the server's ping: the DISCONNECT got no answer.
          assert.equal(await silent.next(PING_INTERVAL + 2000), "2");
          await silent.sendEngine("3");
          // The session outlives the namespace: joining again works.
          await silent.sendEngine("40");
          sidOf(await silent.next(), "40");
          assert.equal(await silent.next(), '42["auth",{}]');
          assert.equal(silent.isClosed, false);
          await silent.close();
          await client.close();
        });

        await t.step("connect then disconnect from a custom namespace", async () => {
          const client = await joined();
          await client.sendEngine("40/custom");
          sidOf(await client.next(), "40/custom,");
          assert.equal(await client.next(), '42/custom,["auth",{}]');
          await client.sendEngine("41/custom", '42["message","message to main namespace"]');
          assert.equal(await client.next(), '42["message-back","message to main namespace"]');
          await client.close();
        });

        await t.step("a plain-text event", async () => {
          const client = await joined();
          await client.sendEngine('42["message",1,"2",{"3":[true]}]');
          assert.equal(await client.next(), '42["message-back",1,"2",{"3":[true]}]');
          await client.close();
        });

        await t.step("an event with binary attachments", async () => {
          const client = await joined();
          await client.sendEngine(
            '452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
            Uint8Array.from([1, 2, 3]),
            Uint8Array.from([4, 5, 6]),
          );
          const [text, first, second] = await client.take(3);
          assert.equal(
            text,
            '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
          );
          assert.ok(first instanceof ArrayBuffer && second instanceof ArrayBuffer);
          assert.deepEqual(bytesOf(first), [1, 2, 3]);
          assert.deepEqual(bytesOf(second), [4, 5, 6]);
          await client.close();
        });

        await t.step("a plain-text event with an ack", async () => {
          const client = await joined();
          await client.sendEngine('42456["message-with-ack",1,"2",{"3":[false]}]');
          assert.equal(await client.next(), '43456[1,"2",{"3":[false]}]');
          await client.close();
        });

        await t.step("an event with binary attachments and an ack", async () => {
          const client = await joined();
          await client.sendEngine(
            '452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
            Uint8Array.from([1, 2, 3]),
            Uint8Array.from([4, 5, 6]),
          );
          const [text, first, second] = await client.take(3);
          assert.equal(
            text,
            '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
          );
          assert.deepEqual(bytesOf(first), [1, 2, 3]);
          assert.deepEqual(bytesOf(second), [4, 5, 6]);
          await client.close();
        });

        for (
          const [what, packet] of [
            ["an unknown packet type", "4abc"],
            ["an invalid payload format", "42{}"],
            ["an invalid ack id", '42abc["message-with-ack",1,"2",{"3":[false]}]'],
          ]
        ) {
          await t.step(`${what} closes the connection`, async () => {
            const client = await joined();
            const bystander = await joined();
            await client.sendEngine(packet!);
            await client.closed();
            assert.deepEqual(client.drain(), [], "nothing is answered before the close");
            // The server goes on: another client still gets answers.
            await bystander.sendEngine('42["message","still here"]');
            assert.equal(await bystander.next(), '42["message-back","still here"]');
            await bystander.close();
          });
        }
      } finally {
        for (const client of clients) await client.close();
      }
    });
  });
}
