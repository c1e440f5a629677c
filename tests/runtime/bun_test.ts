// The Bun runtime file: its wiring in process with a fake Bun server, then what only a real Bun
// process shows (idle timeouts, refused upgrades, binary frames, aborted polls), against
// scripts/fixture_engine_bun.ts.
import assert from "node:assert/strict";
import { EngineServer, Server, type Session } from "../../server/mod.ts";
import {
  bunHandler,
  type BunServer,
  type BunServerWebSocket,
  upgradeWebSocket,
} from "../../server/runtime/bun.ts";
import { type Started, startServer } from "../_process.ts";
import { connect } from "../_ws_client.ts";

const BUN = new URL("../../node_modules/.bin/bun", import.meta.url).pathname;
const FIXTURE = "scripts/fixture_engine_bun.ts";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// --- in process: Bun's side played by fakes --------------------------------------------------

class FakeBunServer implements BunServer {
  upgrades: Array<{ request: Request; data: unknown; headers: Headers }> = [];
  upgrade(request: Request, options: { data: unknown; headers: HeadersInit }): boolean {
    this.upgrades.push({ request, data: options.data, headers: new Headers(options.headers) });
    return request.headers.has("sec-websocket-key");
  }
  requestIP(): { address: string } {
    return { address: "203.0.113.7" };
  }
}

class FakeBunSocket implements BunServerWebSocket {
  readyState = 1;
  binaryType?: "nodebuffer" | "arraybuffer" | "uint8array";
  sent: Array<string | ArrayBuffer | ArrayBufferView> = [];
  closed: [number | undefined, string | undefined] | undefined;
  result = 1;
  constructor(readonly data: unknown) {}
  send(data: string | ArrayBuffer | ArrayBufferView): number {
    this.sent.push(data);
    return this.result;
  }
  close(code?: number, reason?: string): void {
    this.readyState = 2;
    this.closed = [code, reason];
  }
}

function inProcess() {
  const engine = new EngineServer({ upgradeWebSocket, cookie: true });
  const sessions: Session[] = [];
  engine.on("connection", (session) => {
    sessions.push(session);
    session.on("message", (data) => session.send(data));
  });
  return { engine, sessions, bun: bunHandler(engine), server: new FakeBunServer() };
}

const upgradeRequest = (query: string, key = true) =>
  new Request(`http://localhost/engine.io/?${query}`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      ...(key ? { "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } : {}),
    },
  });

Deno.test("bunHandler() passes Bun's requestIP() to the engine as the remote address", async () => {
  const { engine, sessions, bun, server } = inProcess();
  const response = await bun.fetch(
    new Request("http://localhost/engine.io/?EIO=4&transport=polling"),
    server,
  );
  assert.equal(response?.status, 200);
  await response?.body?.cancel();
  assert.equal(sessions[0]?.remoteAddress, "203.0.113.7");
  engine.close();
});

Deno.test("bunHandler() answers an upgrade with undefined and wires Bun's socket events", async () => {
  const { engine, sessions, bun, server } = inProcess();
  const response = await bun.fetch(upgradeRequest("EIO=4&transport=websocket"), server);
  assert.equal(response, undefined, "Bun wants undefined after server.upgrade()");
  const [upgrade] = server.upgrades;
  assert.ok(upgrade, "server.upgrade() was called");
  assert.match(upgrade.headers.get("set-cookie") ?? "", /^io=/, "the engine's headers go along");
  const ws = new FakeBunSocket(upgrade.data);
  bun.websocket.open(ws);
  assert.equal(ws.binaryType, "uint8array");
  assert.equal((ws.sent[0] as string)[0], "0", "the open packet is the first frame");
  assert.equal(sessions[0]?.remoteAddress, "203.0.113.7");
  bun.websocket.message(ws, "4hello");
  bun.websocket.message(ws, new Uint8Array([1, 2, 255]));
  assert.deepEqual(ws.sent.slice(1), ["4hello", new Uint8Array([1, 2, 255])]);
  let reason = "";
  sessions[0]!.on("close", (why) => reason = why);
  bun.websocket.close(ws, 1000, "");
  assert.equal(reason, "transport close");
  assert.equal(engine.clientsCount, 0);
});

Deno.test("bunHandler() reports a frame Bun dropped as a write error", async () => {
  const { engine, sessions, bun, server } = inProcess();
  await bun.fetch(upgradeRequest("EIO=4&transport=websocket"), server);
  const ws = new FakeBunSocket(server.upgrades[0]!.data);
  bun.websocket.open(ws);
  let reason = "";
  sessions[0]!.on("close", (why, description) => reason = `${why}: ${description}`);
  ws.result = 0;
  sessions[0]!.send("lost");
  assert.equal(reason, "transport error: write error");
  engine.close();
});

Deno.test("upgradeWebSocket() has the engine refuse what Bun cannot upgrade", async () => {
  const { engine, bun, server } = inProcess();
  const errors: unknown[] = [];
  engine.on("connection_error", (error) => errors.push([error.code, error.context]));
  const response = await bun.fetch(upgradeRequest("EIO=4&transport=websocket", false), server);
  assert.equal(response?.status, 400);
  assert.equal(await response?.text(), "Bad request");
  assert.deepEqual(errors, [[3, { name: "BUN_UPGRADE_FAILED" }]]);
  assert.equal(engine.clientsCount, 0, "no session without an open socket");
});

Deno.test("upgradeWebSocket() throws TypeError for a request that bypassed bunHandler()", () => {
  const handler = { onOpen() {}, onMessage() {}, onClose() {}, onError() {} };
  assert.throws(
    () => upgradeWebSocket(upgradeRequest("EIO=4&transport=websocket"), handler, new Headers()),
    TypeError,
  );
});

Deno.test("bunHandler() sizes Bun's idle timeouts to the engine's heartbeat", () => {
  const handler = (options: Record<string, number>) => ({
    fetch: () => new Response(),
    options,
  });
  const defaults = bunHandler(handler({}));
  assert.equal(defaults.idleTimeout, 50, "25 s + 20 s + 5 s of slack");
  assert.equal(defaults.websocket.idleTimeout, 120, "Bun's WebSocket default is enough");
  assert.equal(defaults.websocket.maxPayloadLength, 16 * 1024 * 1024);
  const fast = bunHandler(handler({ pingInterval: 300, pingTimeout: 200 }));
  assert.equal(fast.idleTimeout, 10, "never below Bun's default");
  const slow = bunHandler(handler({ pingInterval: 300000, pingTimeout: 20000 }));
  assert.equal(slow.idleTimeout, 0, "no finite value under Bun's 255 s is safe");
  assert.equal(slow.websocket.idleTimeout, 325);
  const big = bunHandler(handler({ maxHttpBufferSize: 32 * 1024 * 1024 }));
  assert.equal(big.websocket.maxPayloadLength, 32 * 1024 * 1024 + 1);
  assert.equal(bunHandler(handler({}), { idleTimeout: 30 }).idleTimeout, 30);
  assert.throws(() => bunHandler(handler({}), { idleTimeout: 256 }), RangeError);
  assert.throws(() => bunHandler(handler({}), { websocketIdleTimeout: 1.5 }), RangeError);
});

Deno.test("bunHandler() takes a Socket.IO Server and reads its engine's options", async () => {
  const io = new Server({
    upgradeWebSocket,
    pingInterval: 100000,
    pingTimeout: 50000,
    maxHttpBufferSize: 20 * 1024 * 1024,
  });
  try {
    const options = bunHandler(io);
    assert.equal(options.idleTimeout, 155, "100 s + 50 s + 5 s of slack");
    assert.equal(options.websocket.maxPayloadLength, 20 * 1024 * 1024 + 1);
    const server = new FakeBunServer();
    const response = await options.fetch(
      new Request("http://localhost/socket.io/?EIO=4&transport=polling"),
      server as unknown as Parameters<typeof options.fetch>[1],
    );
    assert.equal(response?.status, 200);
    assert.match(await response!.text(), /^0\{"sid":/);
  } finally {
    await io.close();
  }
});

// --- a real Bun process ----------------------------------------------------------------------

function startBun(env: Record<string, string> = {}): Promise<Started> {
  return startServer(BUN, ["run", FIXTURE], env);
}

async function withBun(
  env: Record<string, string>,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = await startBun(env);
  try {
    await fn(server.url);
  } finally {
    await server.stop();
  }
}

async function bounded<T>(what: string, ms: number, run: (signal: AbortSignal) => Promise<T>) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`${what}: no answer in ${ms} ms`)), ms);
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function get(url: string, ms = 5000): Promise<{ status: number; text: string }> {
  return await bounded(`GET ${url}`, ms, async (signal) => {
    const response = await fetch(url, { signal });
    return { status: response.status, text: await response.text() };
  });
}

async function handshake(base: string): Promise<string> {
  const { text } = await get(`${base}/engine.io/?EIO=4&transport=polling`);
  return JSON.parse(text.slice(1)).sid;
}

// One request over a raw TCP connection (fetch would retry a cut GET, and it does not send
// `Upgrade`); reads until the whole response (the head of a 101), the end of the stream, or `ms`.
async function raw(
  base: string,
  head: string,
  ms: number,
): Promise<{ text: string; eof: boolean }> {
  const { hostname, port } = new URL(base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, ms);
  let text = "";
  try {
    await conn.write(encoder.encode(head));
    const buffer = new Uint8Array(65536);
    while (!complete(text)) {
      const n = await conn.read(buffer);
      if (n === null) return { text, eof: true };
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    return { text, eof: false };
  } catch (error) {
    if (timedOut) {
      throw new Error(`no complete answer within ${ms} ms, got ${JSON.stringify(text)}`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    if (!timedOut) conn.close();
  }
}

function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return false;
  if (text.startsWith("HTTP/1.1 101 ")) return true;
  const length = text.slice(0, end).match(/\r\ncontent-length:\s*(\d+)/i);
  return length !== null && encoder.encode(text.slice(end + 4)).length >= Number(length[1]);
}

Deno.test("Bun keeps a long-polling GET parked past its default idle timeout", async () => {
  // The engine parks a GET until the next ping (13 s here). Bun's default idleTimeout of 10 s,
  // checked on a 4 s tick, cuts a request after 8 to 12 s; bunHandler() sets 19 s instead.
  const env = { PING_INTERVAL: "13000" };
  const survives = withBun(env, async (url) => {
    const sid = await handshake(url);
    const poll = await get(`${url}/engine.io/?EIO=4&transport=polling&sid=${sid}`, 15000);
    assert.deepEqual(poll, { status: 200, text: "2" }, "the ping arrives on the parked GET");
  });
  // The control: the same engine with Bun's default shows what the test guards against.
  const cut = withBun({ ...env, IDLE_TIMEOUT: "10" }, async (url) => {
    const sid = await handshake(url);
    const head = `GET /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const { text, eof } = await raw(url, head, 15000);
    assert.deepEqual({ text, eof }, { text: "", eof: true }, "Bun closes without answering");
  });
  await Promise.all([survives, cut]);
});

Deno.test("Bun answers a refused WebSocket upgrade with the engine's 400 and message", async () => {
  await withBun({}, async (url) => {
    const upgrade = (query: string, key = "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==") =>
      `GET /engine.io/?${query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Version: 13${key}\r\n\r\n`;
    const unknown = await raw(url, upgrade("EIO=4&transport=websocket&sid=nope"), 5000);
    assert.match(unknown.text, /^HTTP\/1\.1 400 /);
    assert.ok(unknown.text.endsWith("\r\n\r\nSession ID unknown"), unknown.text);
    const sid = await handshake(url);
    const polling = await raw(url, upgrade(`EIO=4&transport=polling&sid=${sid}`), 5000);
    assert.match(polling.text, /^HTTP\/1\.1 400 /);
    assert.ok(polling.text.endsWith("\r\n\r\nBad request"), polling.text);
    // Accepted by the engine, refused by Bun (no key): a 400 all the same.
    const keyless = await raw(url, upgrade("EIO=4&transport=websocket", ""), 5000);
    assert.match(keyless.text, /^HTTP\/1\.1 400 /);
    assert.ok(keyless.text.endsWith("\r\n\r\nBad request"), keyless.text);
    const accepted = await raw(url, upgrade("EIO=4&transport=websocket"), 5000);
    assert.match(accepted.text, /HTTP\/1\.1 101 /, "the same upgrade with a key succeeds");
  });
});

Deno.test("Bun carries binary frames both ways as binary, EIO=4 and EIO=3", async () => {
  await withBun({ EIO3: "1" }, async (url) => {
    const ws = url.replace("http", "ws");
    const v4 = connect(`${ws}/engine.io/?EIO=4&transport=websocket`);
    const v3 = connect(`${ws}/engine.io/?EIO=3&transport=websocket`);
    try {
      assert.equal((await v4.message() as string)[0], "0");
      v4.socket.send(new Uint8Array([0, 1, 2, 255]));
      assert.deepEqual(
        new Uint8Array(await v4.message() as ArrayBuffer),
        new Uint8Array([0, 1, 2, 255]),
      );
      const large = new Uint8Array(100_000).map((_, i) => i % 251);
      v4.socket.send(large);
      assert.deepEqual(new Uint8Array(await v4.message() as ArrayBuffer), large);
      v4.socket.send("4hello €");
      assert.equal(await v4.message(), "4hello €");
      // EIO=3 binary frames carry the packet type as their first byte.
      assert.equal((await v3.message() as string)[0], "0");
      v3.socket.send(new Uint8Array([4, 9, 8, 7]));
      assert.deepEqual(
        new Uint8Array(await v3.message() as ArrayBuffer),
        new Uint8Array([4, 9, 8, 7]),
      );
      // Over the engine's maxPayload (1e6) but under Bun's: the engine's close code reaches the client.
      v4.socket.send(new Uint8Array(1_000_001));
      const closed = await v4.next("close") as CloseEvent;
      assert.equal(closed.code, 1009);
    } finally {
      await v4.close();
      await v3.close();
    }
  });
});

Deno.test("Bun aborts the signal of a poll the client abandons, and the session closes", async () => {
  // A long heartbeat, so only the aborted GET can close the session within the test.
  await withBun({ PING_INTERVAL: "20000" }, async (url) => {
    const sid = await handshake(url);
    const pollUrl = `${url}/engine.io/?EIO=4&transport=polling&sid=${sid}`;
    const controller = new AbortController();
    const parked = fetch(pollUrl, { signal: controller.signal }).then(
      (response) => response.body?.cancel(),
      () => {},
    );
    // Nothing tells a client that its GET is parked: give it time to reach the server.
    await new Promise((resolve) => setTimeout(resolve, 250));
    controller.abort();
    await parked;
    const post = (body: string) =>
      bounded("POST", 5000, async (signal) => {
        const response = await fetch(pollUrl, { method: "POST", body, signal });
        return `${response.status} ${await response.text()}`;
      });
    const deadline = Date.now() + 3000;
    let answer = await post("4anyone?");
    while (answer === "200 ok" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await post("4anyone?");
    }
    assert.equal(answer, `400 {"code":1,"message":"Session ID unknown"}`);
  });
});
