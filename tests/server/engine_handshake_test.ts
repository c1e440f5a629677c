import assert from "node:assert/strict";
import { type ConnectionError, EngineServer } from "../../server/mod.ts";
import { handshake, url, websocket } from "./_engine.ts";
import { FakeTimers, fakeUpgrader } from "./_fakes.ts";

function engineWith(options: ConstructorParameters<typeof EngineServer>[0] = {}) {
  const timers = new FakeTimers();
  const ws = fakeUpgrader();
  const engine = new EngineServer({ timers, upgradeWebSocket: ws.upgradeWebSocket, ...options });
  const errors: ConnectionError[] = [];
  engine.on("connection_error", (e) => errors.push(e));
  return { engine, timers, ws, errors };
}

async function errorOf(response: Response): Promise<{ status: number; body: unknown }> {
  return { status: response.status, body: await response.json() };
}

Deno.test("EngineServer.fetch() answers a polling handshake with an open packet", async () => {
  const { engine, timers } = engineWith();
  const response = await engine.fetch(new Request(url({ EIO: "4", transport: "polling", t: "x" })));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; charset=UTF-8");
  assert.equal(response.headers.get("cache-control"), "no-store");
  const body = await response.text();
  assert.equal(body[0], "0");
  const open = JSON.parse(body.slice(1));
  assert.deepEqual(Object.keys(open).sort(), [
    "maxPayload",
    "pingInterval",
    "pingTimeout",
    "sid",
    "upgrades",
  ]);
  assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.pingInterval, 25000);
  assert.equal(open.pingTimeout, 20000);
  assert.equal(open.maxPayload, 1e6);
  assert.equal(engine.clientsCount, 1);
  engine.close();
  assert.equal(engine.clientsCount, 0);
  assert.equal(timers.pending, 0, "no timer outlives its session");
});

Deno.test("EngineServer.fetch() offers no upgrade without a runtime upgrader or with allowUpgrades off", async () => {
  const plain = new EngineServer({ timers: new FakeTimers() });
  assert.deepEqual((await handshake(plain)).upgrades, []);
  plain.close();
  const { engine } = engineWith({ allowUpgrades: false });
  assert.deepEqual((await handshake(engine)).upgrades, []);
  engine.close();
});

Deno.test("EngineServer.fetch() answers each refused request with its code and status", async () => {
  const { engine, errors } = engineWith();
  const cases: Array<[Request, number, number, string]> = [
    [new Request(url({ EIO: "4" })), 400, 0, "Transport unknown"],
    [new Request(url({ EIO: "4", transport: "flash" })), 400, 0, "Transport unknown"],
    [
      new Request(url({ EIO: "4", transport: "polling", sid: "nope" })),
      400,
      1,
      "Session ID unknown",
    ],
    [
      new Request(url({ EIO: "4", transport: "polling" }), { method: "POST", body: "4x" }),
      400,
      2,
      "Bad handshake method",
    ],
    [new Request(url({ EIO: "4", transport: "websocket" })), 400, 3, "Bad request"],
    [new Request(url({ EIO: "3", transport: "polling" })), 400, 5, "Unsupported protocol version"],
    [new Request(url({ transport: "polling" })), 400, 5, "Unsupported protocol version"],
  ];
  for (const [request, status, code, message] of cases) {
    const response = await engine.fetch(request);
    assert.equal(response.headers.get("content-type"), "application/json", request.url);
    assert.deepEqual(await errorOf(response), { status, body: { code, message } }, request.url);
  }
  assert.deepEqual(errors.map((e) => e.code), [0, 0, 1, 2, 3, 5, 5]);
  assert.deepEqual(errors[2]!.context, { sid: "nope" });
  assert.equal(engine.clientsCount, 0);
});

Deno.test("EngineServer.fetch() refuses a polling request on a websocket session (transport mismatch)", async () => {
  const { engine, ws, errors } = engineWith();
  await websocket(engine, {});
  const sid = JSON.parse((ws.sockets[0]!.take()[0] as string).slice(1)).sid;
  const response = await engine.fetch(new Request(url({ EIO: "4", transport: "polling", sid })));
  assert.deepEqual(await errorOf(response), {
    status: 400,
    body: { code: 3, message: "Bad request" },
  });
  assert.equal(errors[0]!.context.name, "TRANSPORT_MISMATCH");
  engine.close();
});

Deno.test("EngineServer.fetch() refuses a failed WebSocket upgrade with a plain 400", async () => {
  const { engine } = engineWith();
  const response = await websocket(engine, { sid: "unknown" });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("content-type"), "text/html");
  assert.equal(await response.text(), "Session ID unknown");
});

Deno.test("EngineServer.fetch() refuses the websocket transport when no upgrader is configured", async () => {
  const engine = new EngineServer({ timers: new FakeTimers() });
  const response = await websocket(engine, {});
  assert.equal(response.status, 400);
  assert.equal(await response.text(), "Transport unknown");
});

Deno.test("EngineServer.fetch() answers allowRequest refusals with 403, code 4 and the given message", async () => {
  const byCallback = engineWith({ allowRequest: (_req, cb) => cb("No entry", false) });
  assert.deepEqual(
    await errorOf(
      await byCallback.engine.fetch(new Request(url({ EIO: "4", transport: "polling" }))),
    ),
    {
      status: 403,
      body: { code: 4, message: "No entry" },
    },
  );
  const byPromise = engineWith({
    allowRequest: async (req) => (await Promise.resolve(req.headers.has("x-ok"))),
  });
  const refused = await byPromise.engine.fetch(
    new Request(url({ EIO: "4", transport: "polling" })),
  );
  assert.deepEqual(await errorOf(refused), {
    status: 403,
    body: { code: 4, message: "Forbidden" },
  });
  const allowed = await byPromise.engine.fetch(
    new Request(url({ EIO: "4", transport: "polling" }), { headers: { "x-ok": "1" } }),
  );
  assert.equal(allowed.status, 200);
  await allowed.text();
  byPromise.engine.close();
  const throwing = engineWith({ allowRequest: () => Promise.reject(new Error("db down")) });
  const failed = await throwing.engine.fetch(new Request(url({ EIO: "4", transport: "polling" })));
  assert.deepEqual(await errorOf(failed), { status: 403, body: { code: 4, message: "db down" } });
  const ws = await websocket(byCallback.engine, {});
  assert.equal(ws.status, 403);
  assert.equal(await ws.text(), "No entry");
});

Deno.test("EngineServer.fetch() takes session ids from generateId and reports its failure as code 3", async () => {
  const { engine } = engineWith({ generateId: () => Promise.resolve("custom-id") });
  assert.equal((await handshake(engine)).sid, "custom-id");
  engine.close();
  const failing = engineWith({
    generateId: () => {
      throw new Error("no ids left");
    },
  });
  const response = await failing.engine.fetch(new Request(url({ EIO: "4", transport: "polling" })));
  assert.deepEqual(await errorOf(response), {
    status: 400,
    body: { code: 3, message: "Bad request" },
  });
  assert.equal(failing.errors[0]!.context.name, "ID_GENERATION_ERROR");
});

Deno.test("EngineServer.fetch() honours the transports option", async () => {
  const { engine } = engineWith({ transports: ["websocket"] });
  const response = await engine.fetch(new Request(url({ EIO: "4", transport: "polling" })));
  assert.deepEqual(await errorOf(response), {
    status: 400,
    body: { code: 0, message: "Transport unknown" },
  });
  assert.equal((await websocket(engine, {})).status, 200);
  engine.close();
});

Deno.test("EngineServer.handler() answers 404 outside its path, or hands over to the fallback", async () => {
  const { engine } = engineWith({ path: "/realtime" });
  assert.equal((await engine.fetch(new Request("http://localhost/other"))).status, 404);
  assert.equal(
    (await engine.fetch(new Request("http://localhost/realtime"))).status,
    404,
    "the path needs its slash",
  );
  const handler = engine.handler(() => new Response("app"));
  assert.equal(await (await handler(new Request("http://localhost/"))).text(), "app");
  const open = await handler(new Request("http://localhost/realtime/?EIO=4&transport=polling"));
  assert.equal((await open.text())[0], "0");
  engine.close();
});

Deno.test("new EngineServer() validates options and starts nothing", () => {
  assert.throws(() => new EngineServer({ pingInterval: 0 }), RangeError);
  assert.throws(() => new EngineServer({ maxHttpBufferSize: Number.NaN }), RangeError);
  assert.throws(() => new EngineServer({ transports: ["flash" as "polling"] }), RangeError);
  const timers = new FakeTimers();
  new EngineServer({ timers });
  assert.equal(timers.pending, 0);
});

Deno.test("EngineServer.fetch() reads the query as URLSearchParams would", async () => {
  const { engine } = engineWith({ generateId: () => "a b+c" });
  const first = await engine.fetch(
    new Request(
      "http://localhost/engine.io/?EIO=4&EIO=3&transport=polling&transport=websocket&t=1",
    ),
  );
  const sid = JSON.parse((await first.text()).slice(1)).sid;
  assert.equal(sid, "a b+c", "the first EIO and transport count");
  const pending = engine.fetch(
    new Request(
      `http://localhost/engine.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
    ),
  );
  engine.clients.get(sid)!.send("decoded");
  assert.equal(await (await pending).text(), "4decoded", "a percent-encoded sid finds its session");
  const plus = engine.fetch(
    new Request("http://localhost/engine.io/?EIO=4&transport=polling&sid=a+b%2Bc"),
  );
  engine.clients.get(sid)!.send("plus");
  assert.equal(await (await plus).text(), "4plus", "+ is a space, as in forms");
  engine.close();
});
