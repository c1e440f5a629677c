import assert from "node:assert/strict";
import { type CloseReason, EngineServer, type Session } from "../../server/mod.ts";
import { handshake, poll, post, settles } from "./_engine.ts";
import { FakeTimers } from "./_fakes.ts";

function setup(options: ConstructorParameters<typeof EngineServer>[0] = {}) {
  const timers = new FakeTimers();
  const engine = new EngineServer({ timers, ...options });
  const sessions: Session[] = [];
  const closes: Array<[CloseReason, string | undefined]> = [];
  const messages: unknown[] = [];
  engine.on("connection", (session) => {
    sessions.push(session);
    session.on("message", (data) => messages.push(data));
    session.on("close", (reason, description) => closes.push([reason, description]));
  });
  return { engine, timers, sessions, closes, messages };
}

Deno.test("polling: a GET waits until the session has packets", async () => {
  const { engine, sessions } = setup();
  const { sid } = await handshake(engine);
  const pending = poll(engine, sid);
  assert.equal(await settles(pending), false, "the GET is parked");
  sessions[0]!.send("hello");
  sessions[0]!.send(new Uint8Array([1, 2, 3]));
  const response = await pending;
  assert.equal(response.headers.get("content-type"), "text/plain; charset=UTF-8");
  assert.equal(await response.text(), "4hello", "the parked GET leaves with the first packet");
  assert.equal(await (await poll(engine, sid)).text(), "bAQID");
  engine.close();
});

Deno.test("polling: packets queued while no GET waits go out together on the next GET", async () => {
  const { engine, sessions } = setup();
  const { sid } = await handshake(engine);
  sessions[0]!.send("a");
  sessions[0]!.send("b");
  assert.equal(await (await poll(engine, sid)).text(), "4a\x1e4b");
  engine.close();
});

Deno.test("polling: a POST delivers its packets and answers ok", async () => {
  const { engine, messages } = setup();
  const { sid } = await handshake(engine);
  const response = await post(engine, sid, "4hello\x1ebAQID\x1e4€");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/html");
  assert.equal(await response.text(), "ok");
  assert.deepEqual(messages, ["hello", new Uint8Array([1, 2, 3]), "€"]);
  engine.close();
});

Deno.test("polling: a second concurrent GET is a 400 and closes the session", async () => {
  const { engine, closes } = setup();
  const { sid } = await handshake(engine);
  const first = poll(engine, sid);
  const second = await poll(engine, sid);
  assert.equal(second.status, 400);
  assert.equal(await (await first).text(), "1", "the parked GET learns of the close");
  assert.deepEqual(closes, [["transport error", "overlap from client"]]);
  assert.equal(engine.clientsCount, 0);
  const after = await poll(engine, sid);
  assert.deepEqual(await after.json(), { code: 1, message: "Session ID unknown" });
});

Deno.test("polling: a POST over maxHttpBufferSize gets 413 and closes the session", async () => {
  const { engine, closes, messages, timers } = setup({ maxHttpBufferSize: 10 });
  const { sid } = await handshake(engine);
  const declared = await post(engine, sid, "4" + "x".repeat(20));
  assert.equal(declared.status, 413);
  assert.deepEqual(closes, [["transport error", "payload too large"]]);
  assert.deepEqual(messages, []);
  assert.equal(timers.pending, 0);

  // A streamed body with no Content-Length is cut off as soon as it passes the limit.
  const second = await handshake(engine);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new TextEncoder().encode("4xxxxxx"));
      if (pulled > 100) controller.close();
    },
  });
  const streamed = await post(engine, second.sid, body);
  assert.equal(streamed.status, 413);
  assert.ok(pulled < 5, `stopped reading after ${pulled} chunks`);
  assert.equal(engine.clientsCount, 0);
});

Deno.test("polling: a garbage POST closes the session with parse error", async () => {
  const { engine, closes } = setup();
  for (const garbage of ["9nonsense", "4ok\x1ebAQ*D", ""]) {
    const { sid } = await handshake(engine);
    const response = await post(engine, sid, garbage);
    assert.equal(response.status, 400);
    assert.deepEqual(closes.pop(), ["parse error", undefined], JSON.stringify(garbage));
  }
  assert.equal(engine.clientsCount, 0);
});

Deno.test("polling: a binary POST is refused for EIO=4", async () => {
  const { engine, closes } = setup();
  const { sid } = await handshake(engine);
  const response = await post(engine, sid, new Uint8Array([4, 1]), "4", {
    "content-type": "application/octet-stream",
  });
  assert.equal(response.status, 400);
  assert.deepEqual(closes, [["transport error", "invalid content"]]);
});

Deno.test("polling: a client that vanishes mid-GET closes the session, leaking no timer", async () => {
  const { engine, closes, timers } = setup();
  const { sid } = await handshake(engine);
  const controller = new AbortController();
  const pending = poll(engine, sid, { signal: controller.signal });
  controller.abort();
  assert.equal((await pending).status, 400);
  assert.deepEqual(closes, [["transport error", "poll connection closed prematurely"]]);
  assert.equal(timers.pending, 0);
});

Deno.test("polling: a close packet from the client closes the session", async () => {
  const { engine, closes } = setup();
  const { sid } = await handshake(engine);
  const pending = poll(engine, sid);
  await post(engine, sid, "1");
  assert.deepEqual(closes, [["transport close", undefined]]);
  assert.equal(await (await pending).text(), "6", "the parked GET is released with a noop");
});

Deno.test("polling: Session.close() sends a close packet on the parked GET, or on the next one", async () => {
  const { engine, closes, sessions, timers } = setup();
  const { sid } = await handshake(engine);
  const pending = poll(engine, sid);
  assert.equal(await settles(pending), false);
  sessions[0]!.close();
  assert.equal(await (await pending).text(), "1");
  assert.deepEqual(closes, [["forced close", undefined]]);

  const second = await handshake(engine);
  sessions[1]!.send("last words");
  sessions[1]!.close();
  assert.equal(await (await poll(engine, second.sid)).text(), "4last words");
  assert.equal(closes.length, 1, "still closing: the close packet waits for the next GET");
  // As the official server does: the GET that finds a close waiting gets a noop and the close.
  assert.equal(await (await poll(engine, second.sid)).text(), "6\x1e1");
  assert.deepEqual(closes[1], ["forced close", undefined]);

  const third = await handshake(engine);
  sessions[2]!.close();
  timers.tick(30000);
  assert.deepEqual(
    closes[2],
    ["forced close", undefined],
    "no GET came: closed after the close timeout",
  );
  assert.equal(timers.pending, 0);
  assert.equal(engine.clientsCount, 0);
  void third;
});

Deno.test("polling: the send callback runs once the packet is written", async () => {
  const { engine, sessions } = setup();
  const { sid } = await handshake(engine);
  let written = 0;
  sessions[0]!.send("x", {}, () => written++);
  assert.equal(written, 0);
  await (await poll(engine, sid)).text();
  assert.equal(written, 1);
  engine.close();
});
