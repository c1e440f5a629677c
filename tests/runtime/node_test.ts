// What server/runtime/node.ts adds on top of the engine, checked on a real Node.js process: the
// Request it builds (streamed body, repeated headers, peer address, abort signal), the Response
// it writes (Set-Cookie lines, backpressure), and the upgrade path (101 headers, refusals written
// as plain HTTP/1.1, the engine's own message size limit).
import assert from "node:assert/strict";
import { bundle } from "../_bundle.ts";
import { startServer } from "../_process.ts";
import { connect } from "../_ws_client.ts";

const MAX_HTTP_BUFFER_SIZE = 1000;
const CHUNK = 64 * 1024;
const root = (path: string) =>
  decodeURIComponent(new URL(`../../${path}`, import.meta.url).pathname);

// The app under test, in plain JavaScript (esbuild only bundles it): the engine with a small
// maxHttpBufferSize and a heartbeat too slow to close anything during a test, plus routes that
// expose what the tests observe.
const APP = `
import { createServer } from "node:http";
import { EngineServer } from ${JSON.stringify(root("server/mod.ts"))};
import { attach, upgradeWebSocket } from ${JSON.stringify(root("server/runtime/node.ts"))};

const engine = new EngineServer({
  upgradeWebSocket,
  maxHttpBufferSize: ${MAX_HTTP_BUFFER_SIZE},
  pingInterval: 20000,
  pingTimeout: 20000,
  cookie: true,
});
const closes = new Map();
engine.on("connection", (session) => {
  session.on("message", (data) => session.send(data));
  session.on("close", (reason, description) => closes.set(session.id, reason + ": " + description));
});
engine.on("headers", (headers) => { headers["X-Engine"] = "yes"; });

let pulled = 0;
const routes = {
  "/info": async (request, info) => {
    let size = 0;
    let bytes = true;
    for await (const chunk of request.body ?? []) {
      size += chunk.byteLength;
      bytes &&= chunk instanceof Uint8Array;
    }
    return Response.json({
      method: request.method,
      url: request.url,
      dup: request.headers.get("x-dup"),
      remote: info.remoteAddr?.hostname ?? null,
      size,
      bytes,
    });
  },
  "/cookies": () => {
    const headers = new Headers({ "X-Other": "1" });
    headers.append("Set-Cookie", "a=1; Path=/");
    headers.append("Set-Cookie", "b=2; HttpOnly");
    return new Response("ok", { headers });
  },
  "/endless": () => {
    pulled = 0;
    return new Response(new ReadableStream({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(${CHUNK}));
      },
    }));
  },
  "/pulled": () => new Response(String(pulled)),
  "/closed": (request) =>
    new Response(closes.get(new URL(request.url).searchParams.get("sid")) ?? ""),
  "/alive": (request) =>
    new Response(String(engine.clients.has(new URL(request.url).searchParams.get("sid")))),
  "/throws": () => {
    throw new Error("boom");
  },
};
const notFound = () => new Response("Not Found", { status: 404 });
const app = (request, info) => (routes[new URL(request.url).pathname] ?? notFound)(request, info);

const server = createServer();
attach(server, engine.handler(app), {
  onError: (error) => console.error("handler error: " + error.message),
});
server.listen(0, "127.0.0.1", () => {
  console.log("listening on http://127.0.0.1:" + server.address().port);
});
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// fetch() with a deadline that covers the body too, read as text.
async function http(
  url: string,
  init: RequestInit = {},
  timeoutMs = 5000,
): Promise<{ status: number; headers: Headers; text: string }> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer from ${url} within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

// A raw TCP exchange: writes `request` (in the background: the server may answer before it has
// read it all), then reads until `enough` says so or the server closes, within `timeoutMs`.
async function raw(
  port: number,
  request: Uint8Array,
  enough: (text: string) => boolean = () => false,
  timeoutMs = 5000,
): Promise<{ text: string; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  const writing = (async () => {
    for (let offset = 0; offset < request.byteLength;) {
      offset += await conn.write(request.subarray(offset));
    }
  })().catch(() => {});
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(CHUNK);
  let text = "";
  let closed = false;
  try {
    while (!enough(text)) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) {
        closed = !timedOut;
        break;
      }
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } finally {
    clearTimeout(timer);
    if (!timedOut) {
      try {
        conn.close();
      } catch { /* closed by the timer */ }
    }
    await writing;
  }
  return { text, closed };
}

const encoder = new TextEncoder();
const upgradeRequest = (port: number, query: string) =>
  encoder.encode(
    `GET /engine.io/?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  );

Deno.test("node runtime: requests, responses and upgrades through node:http", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "edgeio-node-app-" });
  let cleanupBundle = () => Promise.resolve();
  try {
    await Deno.writeTextFile(`${dir}/app.mjs`, APP);
    const bundled = await bundle(`${dir}/app.mjs`);
    cleanupBundle = bundled.cleanup;
    const server = await startServer("node", [bundled.file]);
    const port = Number(new URL(server.url).port);
    const engine = `${server.url}/engine.io/?EIO=4&transport=polling`;
    const handshake = async () => JSON.parse((await http(engine)).text.slice(1)).sid as string;
    const alive = async (sid: string) => (await http(`${server.url}/alive?sid=${sid}`)).text;
    const unknownSession = async (sid: string) => {
      const poll = await http(`${engine}&sid=${sid}`);
      assert.equal(poll.status, 400);
      assert.deepEqual(JSON.parse(poll.text), { code: 1, message: "Session ID unknown" });
    };
    try {
      await t.step("the Request carries method, URL, repeated headers, peer and body", async () => {
        const headers = new Headers();
        headers.append("X-Dup", "1");
        headers.append("X-Dup", "2");
        const body = ReadableStream.from([encoder.encode("abc"), encoder.encode("defg")]);
        const response = await http(`${server.url}/info?x=1`, { method: "POST", headers, body });
        assert.deepEqual(JSON.parse(response.text), {
          method: "POST",
          url: `${server.url}/info?x=1`,
          dup: "1, 2",
          remote: "127.0.0.1",
          size: 7,
          bytes: true,
        });
      });

      await t.step("several Set-Cookie headers stay separate lines", async () => {
        const response = await http(`${server.url}/cookies`);
        assert.deepEqual(response.headers.getSetCookie(), ["a=1; Path=/", "b=2; HttpOnly"]);
        assert.equal(response.headers.get("x-other"), "1");
        assert.equal(response.text, "ok");
      });

      await t.step("a slow reader holds back a streamed response (backpressure)", async () => {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 5000);
        let pulled: number;
        try {
          const response = await fetch(`${server.url}/endless`, { signal: controller.signal });
          const reader = response.body!.getReader();
          await reader.read();
          await sleep(300);
          // Without backpressure the server would pull without end and never answer this.
          pulled = Number((await http(`${server.url}/pulled`)).text);
          await reader.cancel();
        } finally {
          clearTimeout(timer);
        }
        // Socket buffers hold a few MiB at most.
        assert.ok(pulled > 0 && pulled < 512, `pulled ${pulled} chunks of 64 KiB`);
      });

      await t.step(
        "a handler that throws answers 500, reports it, and serving goes on",
        async () => {
          assert.equal((await http(`${server.url}/throws`)).status, 500);
          await until("reported", () => server.output.includes("handler error: boom"));
          assert.equal((await http(`${server.url}/cookies`)).text, "ok");
        },
      );

      await t.step("a POST body over maxHttpBufferSize gets 413 before it ends", async () => {
        const sid = await handshake();
        const head = `POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
          `Host: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`;
        // One chunk far over the limit, and never the last chunk: the body does not end.
        const request = new Uint8Array([
          ...encoder.encode(`${head}${CHUNK.toString(16)}\r\n4`),
          ...new Uint8Array(CHUNK - 1).fill(0x61),
          ...encoder.encode("\r\n"),
        ]);
        const { text, closed } = await raw(port, request);
        assert.match(text, /^HTTP\/1\.1 413 /);
        assert.match(text, /\r\nConnection: close\r\n/i);
        assert.ok(closed, "the server closed the connection");
        await unknownSession(sid);
      });

      await t.step("a body the handler never reads is dropped after the answer", async () => {
        const size = 8 * CHUNK;
        const request = new Uint8Array([
          ...encoder.encode(
            `POST /cookies HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${size}\r\n\r\n`,
          ),
          ...new Uint8Array(size),
        ]);
        const { text, closed } = await raw(port, request);
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(text, /\r\nConnection: close\r\n/i);
        assert.ok(text.endsWith("ok") || text.endsWith("ok\r\n0\r\n\r\n"), text);
        assert.ok(closed, "the server closed the connection");
      });

      await t.step("a long-polling GET whose client leaves closes the session", async () => {
        const sid = await handshake();
        const controller = new AbortController();
        const poll = fetch(`${engine}&sid=${sid}`, { signal: controller.signal }).catch(() => {});
        await sleep(100);
        assert.equal(await alive(sid), "true");
        controller.abort();
        await poll;
        // The heartbeat (20 s) cannot be what closes it: only the request's signal can.
        await until("closed", async () => (await alive(sid)) === "false");
        await unknownSession(sid);
      });

      await t.step("a refused WebSocket upgrade gets a plain HTTP/1.1 answer", async () => {
        const refused = await raw(port, upgradeRequest(port, "EIO=4&transport=websocket&sid=no"));
        assert.match(refused.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
        assert.match(refused.text, /\r\nConnection: close\r\n/i);
        assert.ok(refused.text.endsWith("\r\n\r\nSession ID unknown"), refused.text);
        assert.ok(refused.closed, "the server closed the connection");
        // No Sec-WebSocket-Key: refused by the engine ("Bad request"), not by ws on its own.
        const keyless = await raw(
          port,
          encoder.encode(
            `GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n` +
              "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
          ),
        );
        assert.match(keyless.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
        assert.ok(keyless.text.endsWith("\r\n\r\nBad request"), keyless.text);
        assert.ok(keyless.closed, "the server closed the connection");
        const elsewhere = await raw(
          port,
          encoder.encode(
            "GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
          ),
        );
        assert.match(elsewhere.text, /^HTTP\/1\.1 404 Not Found\r\n/);
        assert.ok(elsewhere.text.endsWith("\r\n\r\nNot Found"), elsewhere.text);
        assert.ok(elsewhere.closed, "the server closed the connection");
      });

      await t.step("the 101 response carries the engine's headers and cookie", async () => {
        const { text } = await raw(
          port,
          upgradeRequest(port, "EIO=4&transport=websocket"),
          (text) => text.includes('"maxPayload"'),
        );
        const [head = ""] = text.split("\r\n\r\n");
        assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
        assert.match(head, /\r\nx-engine: yes(\r\n|$)/i);
        const sid = text.match(/"sid":"([^"]+)"/)?.[1];
        assert.ok(sid, text);
        assert.match(head, new RegExp(`\\r\\nset-cookie: io=${sid}; Path=/; HttpOnly`, "i"));
      });

      await t.step(
        "text and binary frames reach the engine, whose 1009 limit applies",
        async () => {
          const socket = connect(
            `${server.url.replace("http", "ws")}/engine.io/?EIO=4&transport=websocket`,
          );
          const { sid } = JSON.parse((await socket.message() as string).slice(1));
          socket.socket.send("4héllo");
          assert.equal(await socket.message(), "4héllo");
          socket.socket.send(Uint8Array.from([1, 2, 255]));
          const echoed = new Uint8Array(await socket.message() as ArrayBuffer);
          assert.deepEqual(echoed, Uint8Array.from([1, 2, 255]));
          socket.socket.send(`4${"x".repeat(MAX_HTTP_BUFFER_SIZE)}`);
          const closed = await socket.next("close") as CloseEvent;
          assert.equal(closed.code, 1009);
          // The engine's check, not ws's maxPayload: the session says why it closed.
          const reason = async () => (await http(`${server.url}/closed?sid=${sid}`)).text;
          await until("closed", async () => (await reason()) !== "");
          assert.equal(await reason(), "transport error: payload too large");
        },
      );
    } finally {
      await server.stop();
    }
  } finally {
    await cleanupBundle();
    await Deno.remove(dir, { recursive: true });
  }
});
