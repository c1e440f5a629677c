import assert from "node:assert/strict";
import { type CloseReason, EngineServer, type Session } from "../../server/mod.ts";
import { handshake, poll, post, settles, websocket } from "./_engine.ts";
import { FakeTimers, fakeUpgrader } from "./_fakes.ts";

function setup(options: ConstructorParameters<typeof EngineServer>[0] = {}) {
  const timers = new FakeTimers();
  const ws = fakeUpgrader();
  const engine = new EngineServer({
    timers,
    upgradeWebSocket: ws.upgradeWebSocket,
    pingInterval: 300,
    pingTimeout: 200,
    allowEIO3: true,
    ...options,
  });
  const closes: Array<[CloseReason, string | undefined]> = [];
  const sessions: Session[] = [];
  let heartbeats = 0;
  engine.on("connection", (session) => {
    sessions.push(session);
    session.on("heartbeat", () => heartbeats++);
    session.on("close", (reason, description) => closes.push([reason, description]));
  });
  return { engine, timers, ws, closes, sessions, heartbeats: () => heartbeats };
}

Deno.test("heartbeat v4: the server pings every pingInterval and the pong keeps the session", async () => {
  const { engine, timers, ws, closes, heartbeats } = setup();
  await websocket(engine, {});
  const socket = ws.sockets[0]!;
  socket.take();
  timers.tick(299);
  assert.deepEqual(socket.take(), []);
  timers.tick(1);
  assert.deepEqual(socket.take(), ["2"]);
  timers.tick(150);
  socket.receive("3");
  assert.equal(heartbeats(), 1);
  timers.tick(299);
  assert.deepEqual(socket.take(), [], "the next ping comes pingInterval after the pong");
  timers.tick(1);
  assert.deepEqual(socket.take(), ["2"]);
  socket.receive("3");
  assert.deepEqual(closes, []);
  engine.close();
  assert.equal(timers.pending, 0);
});

Deno.test("heartbeat v4: a client that never answers is closed with ping timeout", async () => {
  const { engine, timers, closes } = setup();
  const { sid } = await handshake(engine);
  const parked = poll(engine, sid);
  timers.tick(300);
  assert.equal(await (await parked).text(), "2", "the ping rides the parked GET");
  timers.tick(199);
  assert.deepEqual(closes, []);
  timers.tick(1);
  assert.deepEqual(closes, [["ping timeout", undefined]]);
  assert.equal(timers.pending, 0);
  assert.equal(engine.clientsCount, 0);
});

Deno.test("heartbeat v4: data while a pong is awaited extends the wait once", async () => {
  const { engine, timers, ws, closes } = setup();
  await websocket(engine, {});
  const socket = ws.sockets[0]!;
  timers.tick(300);
  timers.tick(150);
  socket.receive("4busy");
  timers.tick(150);
  assert.deepEqual(closes, [], "the message refreshed the ping timeout");
  socket.receive("4still busy");
  timers.tick(50);
  assert.deepEqual(closes, [["ping timeout", undefined]], "only the first message refreshes it");
});

Deno.test("heartbeat v4: a ping from the client is a protocol error", async () => {
  const { engine, ws, closes } = setup();
  await websocket(engine, {});
  ws.sockets[0]!.receive("2");
  assert.deepEqual(closes, [["transport error", "invalid heartbeat direction"]]);
});

Deno.test("heartbeat v3: the client pings, the server pongs, silence closes the session", async () => {
  const { engine, timers, closes, heartbeats } = setup();
  const response = await engine.fetch(
    new Request("http://localhost/engine.io/?EIO=3&transport=polling"),
  );
  const body = await response.text();
  const sid = JSON.parse(body.slice(body.indexOf(":") + 2)).sid;
  timers.tick(400);
  await post(engine, sid, "1:2", "3");
  assert.equal(heartbeats(), 1);
  assert.equal(await (await poll(engine, sid, undefined, "3")).text(), "1:3");
  timers.tick(499);
  assert.deepEqual(closes, [], "pingInterval + pingTimeout after the last ping");
  timers.tick(1);
  assert.deepEqual(closes, [["ping timeout", undefined]]);
  assert.equal(timers.pending, 0);
  await post(engine, sid, "1:3", "3");
});

Deno.test("heartbeat v3: a pong from the client is a protocol error", async () => {
  const { engine, closes } = setup();
  const response = await engine.fetch(
    new Request("http://localhost/engine.io/?EIO=3&transport=polling"),
  );
  const body = await response.text();
  const sid = JSON.parse(body.slice(body.indexOf(":") + 2)).sid;
  await post(engine, sid, "1:3", "3");
  assert.deepEqual(closes, [["transport error", "invalid heartbeat direction"]]);
  assert.equal(await settles(Promise.resolve()), true);
});
