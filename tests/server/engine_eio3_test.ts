import assert from "node:assert/strict";
import { EngineServer, type Session } from "../../server/mod.ts";
import { poll, post, url, websocket } from "./_engine.ts";
import { FakeTimers, fakeUpgrader } from "./_fakes.ts";

async function open3(engine: EngineServer, query: Record<string, string> = {}): Promise<string> {
  const response = await engine.fetch(
    new Request(url({ EIO: "3", transport: "polling", ...query })),
  );
  const body = await response.text();
  const colon = body.indexOf(":");
  assert.equal(Number(body.slice(0, colon)), body.length - colon - 1, "v3 length framing");
  return JSON.parse(body.slice(colon + 2)).sid;
}

function setup() {
  const ws = fakeUpgrader();
  const engine = new EngineServer({
    timers: new FakeTimers(),
    allowEIO3: true,
    upgradeWebSocket: ws.upgradeWebSocket,
  });
  const sessions: Session[] = [];
  const messages: unknown[] = [];
  engine.on("connection", (s) => {
    sessions.push(s);
    s.on("message", (d) => messages.push(d));
  });
  return { engine, ws, sessions, messages };
}

Deno.test("EIO=3 polling: length-prefixed text payloads both ways", async () => {
  const { engine, sessions, messages } = setup();
  const sid = await open3(engine);
  assert.equal(sessions[0]!.protocol, 3);
  await post(engine, sid, "6:4hello2:4€", "3");
  assert.deepEqual(messages, ["hello", "€"]);
  sessions[0]!.send("é");
  assert.equal(await (await poll(engine, sid, undefined, "3")).text(), "2:4é");
  engine.close();
});

Deno.test("EIO=3 polling: binary goes as an XHR2 binary body, or as base64 with b64=1", async () => {
  const { engine, sessions, messages } = setup();
  const sid = await open3(engine);
  sessions[0]!.send(new Uint8Array([1, 2]));
  const response = await poll(engine, sid, undefined, "3");
  assert.equal(response.headers.get("content-type"), "application/octet-stream");
  assert.deepEqual(
    new Uint8Array(await response.arrayBuffer()),
    new Uint8Array([1, 3, 255, 4, 1, 2]),
  );
  await post(engine, sid, new Uint8Array([1, 3, 255, 4, 7, 8]), "3", {
    "content-type": "application/octet-stream",
  });
  assert.deepEqual(messages, [new Uint8Array([7, 8])]);

  const b64 = await open3(engine, { b64: "1" });
  sessions[1]!.send(new Uint8Array([1, 2]));
  const text = await engine.fetch(
    new Request(url({ EIO: "3", transport: "polling", sid: b64, b64: "1" })),
  );
  assert.equal(await text.text(), "6:b4AQI=");
  engine.close();
});

Deno.test("EIO=3 polling: JSONP wraps payloads in ___eio[j] and reads form posts", async () => {
  const { engine, sessions, messages } = setup();
  const response = await engine.fetch(new Request(url({ EIO: "3", transport: "polling", j: "2" })));
  assert.equal(response.headers.get("content-type"), "text/javascript; charset=UTF-8");
  const js = await response.text();
  assert.match(js, /^___eio\[2\]\(".*"\);$/);
  const payload = JSON.parse(js.slice("___eio[2](".length, -2));
  const sid = JSON.parse(payload.slice(payload.indexOf(":") + 2)).sid;
  // The JSONP client escapes real newlines as \n and literal backslash-n as \\n.
  const form = new URLSearchParams({ d: "11:4line\\nbreak5:4a\\\\nb" }).toString();
  await engine.fetch(
    new Request(url({ EIO: "3", transport: "polling", sid, j: "2" }), {
      method: "POST",
      body: form,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
  );
  assert.deepEqual(messages, ["line\nbreak", "a\\nb"]);
  sessions[0]!.send(new Uint8Array([1]));
  const poll2 = await engine.fetch(
    new Request(url({ EIO: "3", transport: "polling", sid, j: "2" })),
  );
  assert.equal(await poll2.text(), '___eio[2]("6:b4AQ==");', "JSONP carries binary as base64");
  engine.close();
});

Deno.test("EIO=3 websocket: binary frames carry their type byte", async () => {
  const { engine, ws, sessions, messages } = setup();
  await websocket(engine, { EIO: "3" });
  const socket = ws.sockets[0]!;
  socket.take();
  socket.receive(new Uint8Array([4, 5, 6]));
  assert.deepEqual(messages, [new Uint8Array([5, 6])]);
  sessions[0]!.send(new Uint8Array([9]));
  assert.deepEqual(socket.take(), [new Uint8Array([4, 9])]);
  engine.close();
});

Deno.test("EIO=3 and EIO=4 requests cannot share a session", async () => {
  const { engine } = setup();
  const sid = await open3(engine);
  const response = await poll(engine, sid);
  assert.deepEqual(await response.json(), { code: 3, message: "Bad request" });
  engine.close();
});
