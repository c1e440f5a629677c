// The Deno runtime file against a real Deno.serve on 127.0.0.1.
import assert from "node:assert/strict";
import { EngineServer } from "../../server/mod.ts";
import { upgradeWebSocket } from "../../server/runtime/deno.ts";

async function serve(engine: EngineServer, fn: (base: string) => Promise<void>): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, engine.fetch);
  try {
    await fn(`127.0.0.1:${server.addr.port}`);
  } finally {
    engine.close();
    await server.shutdown();
  }
}

Deno.test("deno runtime: a WebSocket request that is no valid handshake gets 400, not 500", async () => {
  const engine = new EngineServer({ upgradeWebSocket });
  const codes: number[] = [];
  engine.on("connection_error", (e) => codes.push(e.code));
  await serve(engine, async (base) => {
    const response = await fetch(`http://${base}/engine.io/?EIO=4&transport=websocket`, {
      headers: { upgrade: "websocket", connection: "upgrade" },
    });
    assert.equal(response.status, 400);
    assert.equal(await response.text(), "Bad request");
    assert.deepEqual(codes, [3]);
  });
});

Deno.test("deno runtime: the 101 response carries what the headers hooks add", async () => {
  const engine = new EngineServer({ upgradeWebSocket });
  engine.on("headers", (headers) => {
    headers["x-hooked"] = "1";
  });
  await serve(engine, async (base) => {
    const [hostname, port] = base.split(":");
    const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
    try {
      const request = [
        "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1",
        `Host: ${base}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "",
        "",
      ].join("\r\n");
      await conn.write(new TextEncoder().encode(request));
      const buffer = new Uint8Array(4096);
      let head = "";
      const deadline = Date.now() + 5000;
      while (!head.includes("\r\n\r\n") && Date.now() < deadline) {
        const n = await conn.read(buffer);
        if (n === null) break;
        head += new TextDecoder().decode(buffer.subarray(0, n));
      }
      assert.match(head, /^HTTP\/1\.1 101/);
      assert.match(head, /x-hooked: 1/i);
    } finally {
      conn.close();
    }
  });
});
