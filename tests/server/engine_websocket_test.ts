import assert from "node:assert/strict";
import { type CloseReason, EngineServer, type Session } from "../../server/mod.ts";
import { handshake, poll, post, settles, url, websocket } from "./_engine.ts";
import { FakeTimers, fakeUpgrader } from "./_fakes.ts";

function setup(options: ConstructorParameters<typeof EngineServer>[0] = {}) {
  const timers = new FakeTimers();
  const ws = fakeUpgrader();
  const engine = new EngineServer({ timers, upgradeWebSocket: ws.upgradeWebSocket, ...options });
  const sessions: Session[] = [];
  const closes: Array<[CloseReason, string | undefined]> = [];
  const messages: unknown[] = [];
  const upgrades: string[] = [];
  engine.on("connection", (session) => {
    sessions.push(session);
    session.on("message", (data) => messages.push(data));
    session.on("upgrade", (name) => upgrades.push(name));
    session.on("close", (reason, description) => closes.push([reason, description]));
  });
  return { engine, timers, ws, sessions, closes, messages, upgrades };
}

Deno.test("websocket: a direct handshake sends the open packet as the first frame", async () => {
  const { engine, ws, sessions } = setup();
  const response = await websocket(engine, {});
  assert.equal(
    response.headers.get("x-fake-upgrade"),
    "1",
    "the runtime's upgrade response is returned",
  );
  const [open] = ws.sockets[0]!.take();
  const packet = JSON.parse((open as string).slice(1));
  assert.equal((open as string)[0], "0");
  assert.deepEqual(packet.upgrades, [], "nothing to upgrade to from a websocket");
  assert.equal(sessions[0]!.transportName, "websocket");
  engine.close();
});

Deno.test("websocket: messages flow both ways, text and binary, one packet per frame", async () => {
  const { engine, ws, sessions, messages } = setup();
  await websocket(engine, {});
  const socket = ws.sockets[0]!;
  socket.take();
  socket.receive("4hello");
  socket.receive(new Uint8Array([1, 2, 3]));
  assert.deepEqual(messages, ["hello", new Uint8Array([1, 2, 3])]);
  sessions[0]!.send("hi");
  sessions[0]!.send(new Uint8Array([9]));
  assert.deepEqual(socket.take(), ["4hi", new Uint8Array([9])]);
  engine.close();
  assert.ok(socket.closed, "closing the engine closes the socket");
});

Deno.test("websocket: the upgrade from polling follows probe, noop and upgrade", async () => {
  const { engine, ws, sessions, upgrades, timers, messages } = setup();
  const { sid } = await handshake(engine);
  const parked = poll(engine, sid);
  assert.equal(await settles(parked), false);
  await websocket(engine, { sid });
  const socket = ws.sockets[0]!;
  assert.deepEqual(socket.take(), [], "no open packet on an upgrade");
  socket.receive("2probe");
  assert.deepEqual(socket.take(), ["3probe"]);
  assert.equal(sessions[0]!.upgrading, true);
  assert.equal(await (await parked).text(), "6", "the parked GET is released with a noop");
  sessions[0]!.send("queued during the upgrade");
  socket.receive("5");
  assert.deepEqual(upgrades, ["websocket"]);
  assert.equal(sessions[0]!.transportName, "websocket");
  assert.equal(sessions[0]!.upgraded, true);
  assert.deepEqual(socket.take(), ["4queued during the upgrade"]);
  socket.receive("4over ws");
  assert.deepEqual(messages, ["over ws"]);
  const late = await poll(engine, sid);
  assert.deepEqual(await late.json(), { code: 3, message: "Bad request" }, "polling is over");
  engine.close();
  assert.equal(timers.pending, 0);
});

Deno.test("websocket: a second upgrade of the same session is refused", async () => {
  const { engine, ws } = setup();
  const { sid } = await handshake(engine);
  await websocket(engine, { sid });
  ws.sockets[0]!.receive("2probe");
  const second = await websocket(engine, { sid });
  assert.equal(second.status, 400);
  assert.equal(await second.text(), "Bad request");
  engine.close();
});

Deno.test("websocket: an upgrade that never completes is dropped after upgradeTimeout", async () => {
  const { engine, ws, sessions, timers } = setup({ upgradeTimeout: 500 });
  const { sid } = await handshake(engine);
  await websocket(engine, { sid });
  timers.tick(499);
  assert.equal(ws.sockets[0]!.closed, undefined);
  timers.tick(1);
  assert.ok(ws.sockets[0]!.closed, "the probing socket is closed");
  assert.equal(sessions[0]!.upgrading, false);
  assert.equal(sessions[0]!.transportName, "polling");
  assert.equal(sessions[0]!.readyState, "open");
  engine.close();
  assert.equal(timers.pending, 0);
});

Deno.test("websocket: a frame other than probe or upgrade during the upgrade cancels it", async () => {
  const { engine, ws, sessions } = setup();
  const { sid } = await handshake(engine);
  await websocket(engine, { sid });
  ws.sockets[0]!.receive("4too early");
  assert.ok(ws.sockets[0]!.closed);
  assert.equal(sessions[0]!.transportName, "polling");
  engine.close();
});

Deno.test("websocket: a frame over maxHttpBufferSize closes the socket (1009) and the session", async () => {
  const { engine, ws, closes, messages } = setup({ maxHttpBufferSize: 8 });
  await websocket(engine, {});
  const socket = ws.sockets[0]!;
  socket.receive("4" + "é".repeat(4)); // 9 bytes in UTF-8, 5 UTF-16 units
  assert.deepEqual(socket.closed, { code: 1009, reason: "Max payload size exceeded" });
  assert.deepEqual(closes, [["transport error", "payload too large"]]);
  assert.deepEqual(messages, []);
  const binary = (await websocket(engine, {}), ws.sockets[1]!);
  binary.receive(new Uint8Array(9));
  assert.equal(binary.closed?.code, 1009);
  const fits = (await websocket(engine, {}), ws.sockets[2]!);
  fits.receive("4" + "é".repeat(3));
  assert.deepEqual(messages, ["ééé"]);
  engine.close();
});

Deno.test("websocket: a garbage frame closes the session with parse error", async () => {
  const { engine, ws, closes } = setup();
  await websocket(engine, {});
  ws.sockets[0]!.receive("9garbage");
  assert.deepEqual(closes, [["parse error", undefined]]);
  assert.ok(ws.sockets[0]!.closed);
});

Deno.test("websocket: a socket that drops closes the session with transport close", async () => {
  const { engine, ws, closes, timers } = setup();
  await websocket(engine, {});
  ws.sockets[0]!.drop();
  assert.deepEqual(closes, [["transport close", undefined]]);
  assert.equal(engine.clientsCount, 0);
  assert.equal(timers.pending, 0);
});

Deno.test("websocket: the session's polling POST is refused once upgraded", async () => {
  const { engine, ws } = setup();
  const { sid } = await handshake(engine);
  await websocket(engine, { sid });
  ws.sockets[0]!.receive("2probe");
  ws.sockets[0]!.receive("5");
  const response = await post(engine, sid, "4x");
  assert.equal(response.status, 400);
  engine.close();
});

Deno.test("websocket: upgrade requests honour allowUpgrades", async () => {
  const { engine } = setup({ allowUpgrades: false });
  const { sid } = await handshake(engine);
  const response = await engine.fetch(
    new Request(url({ EIO: "4", transport: "websocket", sid }), {
      headers: { upgrade: "websocket" },
    }),
  );
  assert.equal(response.status, 400);
  engine.close();
});

Deno.test("websocket: a close packet from the client ends the session at once", async () => {
  const { engine, ws, closes, timers } = setup();
  await websocket(engine, {});
  ws.sockets[0]!.receive("1");
  assert.deepEqual(closes, [["transport close", undefined]]);
  assert.ok(ws.sockets[0]!.closed);
  assert.equal(timers.pending, 0);
});
