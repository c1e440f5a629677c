import assert from "node:assert/strict";
import { type CorsOptions, EngineServer } from "../../server/mod.ts";
import { handshake, poll, url } from "./_engine.ts";
import { FakeTimers, fakeUpgrader } from "./_fakes.ts";

const HANDSHAKE = url({ EIO: "4", transport: "polling" });

Deno.test("cors: no CORS headers unless the cors option is set", async () => {
  const engine = new EngineServer({ timers: new FakeTimers() });
  const response = await engine.fetch(
    new Request(HANDSHAKE, { headers: { origin: "https://a.example" } }),
  );
  assert.equal(response.headers.get("access-control-allow-origin"), null);
  await response.text();
  const preflight = await engine.fetch(new Request(HANDSHAKE, { method: "OPTIONS" }));
  assert.deepEqual(await preflight.json(), { code: 2, message: "Bad handshake method" });
  engine.close();
});

Deno.test("cors: a preflight gets 204 with the allowed origin, methods and headers", async () => {
  const engine = new EngineServer({
    timers: new FakeTimers(),
    cors: { origin: ["https://a.example", /\.b\.example$/], credentials: true, maxAge: 600 },
  });
  const preflight = await engine.fetch(
    new Request(HANDSHAKE, {
      method: "OPTIONS",
      headers: { origin: "https://x.b.example", "access-control-request-headers": "x-token" },
    }),
  );
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://x.b.example");
  assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
  assert.equal(
    preflight.headers.get("access-control-allow-methods"),
    "GET,HEAD,PUT,PATCH,POST,DELETE",
  );
  assert.equal(preflight.headers.get("access-control-allow-headers"), "x-token");
  assert.equal(preflight.headers.get("access-control-max-age"), "600");
  assert.equal(engine.clientsCount, 0, "a preflight opens no session");

  const allowed = await engine.fetch(
    new Request(HANDSHAKE, { headers: { origin: "https://a.example" } }),
  );
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://a.example");
  assert.match(allowed.headers.get("vary") ?? "", /Origin/);
  await allowed.text();
  const refused = await engine.fetch(
    new Request(HANDSHAKE, { headers: { origin: "https://evil.example" } }),
  );
  assert.equal(refused.headers.get("access-control-allow-origin"), null);
  await refused.text();
  const error = await engine.fetch(
    new Request(url({ EIO: "4" }), { headers: { origin: "https://a.example" } }),
  );
  assert.equal(
    error.headers.get("access-control-allow-origin"),
    "https://a.example",
    "errors carry CORS too",
  );
  await error.text();
  engine.close();
});

Deno.test("cors: origin as a string, true, or a function with a callback", async () => {
  const cases: Array<[CorsOptions, string | null]> = [
    [{ origin: "https://fixed.example" }, "https://fixed.example"],
    [{ origin: true }, "https://a.example"],
    [{}, "*"],
    [{ origin: (origin, cb) => cb(null, origin === "https://a.example") }, "https://a.example"],
    [{ origin: (_origin, cb) => cb(null, false) }, null],
  ];
  for (const [cors, expected] of cases) {
    const engine = new EngineServer({ timers: new FakeTimers(), cors });
    const response = await engine.fetch(
      new Request(HANDSHAKE, { headers: { origin: "https://a.example" } }),
    );
    assert.equal(response.headers.get("access-control-allow-origin"), expected, String(expected));
    await response.text();
    engine.close();
  }
});

Deno.test("cookie: the handshake sets the session cookie when asked", async () => {
  const engine = new EngineServer({ timers: new FakeTimers(), cookie: true });
  const response = await engine.fetch(new Request(HANDSHAKE));
  const sid = JSON.parse((await response.text()).slice(1)).sid;
  assert.equal(response.headers.get("set-cookie"), `io=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  const custom = new EngineServer({
    timers: new FakeTimers(),
    cookie: { name: "eio", sameSite: "strict", secure: true, maxAge: 60 },
  });
  const second = await custom.fetch(new Request(HANDSHAKE));
  const sid2 = JSON.parse((await second.text()).slice(1)).sid;
  assert.equal(
    second.headers.get("set-cookie"),
    `eio=${sid2}; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Strict`,
  );
  const next = poll(custom, sid2);
  custom.close();
  assert.equal((await next).headers.get("set-cookie"), null, "only the handshake sets it");
  engine.close();
});

Deno.test("headers hooks: initial_headers on the handshake, headers on every response", async () => {
  const ws = fakeUpgrader();
  const engine = new EngineServer({
    timers: new FakeTimers(),
    upgradeWebSocket: ws.upgradeWebSocket,
  });
  engine.on("initial_headers", (headers, request) => {
    headers["x-initial"] = new URL(request.url).searchParams.get("transport")!;
  });
  engine.on("headers", (headers) => {
    headers["x-every"] = "yes";
  });
  const first = await engine.fetch(new Request(HANDSHAKE));
  assert.equal(first.headers.get("x-initial"), "polling");
  assert.equal(first.headers.get("x-every"), "yes");
  const sid = JSON.parse((await first.text()).slice(1)).sid;
  const pending = poll(engine, sid);
  engine.clients.get(sid)!.send("x");
  const second = await pending;
  assert.equal(second.headers.get("x-initial"), null);
  assert.equal(second.headers.get("x-every"), "yes");
  const upgrade = await engine.fetch(
    new Request(url({ EIO: "4", transport: "websocket" }), { headers: { upgrade: "websocket" } }),
  );
  assert.equal(upgrade.headers.get("x-initial"), "websocket", "upgrade responses get them too");
  engine.close();
});

Deno.test("EngineServer.close() closes every session and clientsCount follows", async () => {
  const timers = new FakeTimers();
  const engine = new EngineServer({ timers });
  const reasons: string[] = [];
  engine.on("connection", (s) => s.on("close", (reason) => reasons.push(reason)));
  await handshake(engine);
  await handshake(engine);
  assert.equal(engine.clientsCount, 2);
  engine.close();
  assert.equal(engine.clientsCount, 0);
  assert.deepEqual(reasons, ["forced close", "forced close"]);
  assert.equal(timers.pending, 0);
});
