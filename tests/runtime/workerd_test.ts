// The Workers runtime file in a real workerd (Miniflare): the Durable Object host and the Worker
// entry that routes every request of a session to the object that owns it.
import assert from "node:assert/strict";
import { startEngineEchoWorker } from "../conformance/_workerd.ts";
import { connect } from "../_ws_client.ts";

Deno.test("workerd: sessions spread over shards and every request reaches the owning object", async () => {
  const server = await startEngineEchoWorker(false);
  try {
    const base = `${server.url}/engine.io/`;
    const sids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const response = await fetch(`${base}?EIO=4&transport=polling`);
      sids.push(JSON.parse((await response.text()).slice(1)).sid);
    }
    const shards = new Set(sids.map((sid) => sid.slice(0, sid.indexOf("."))));
    assert.deepEqual([...shards].sort(), ["0", "1"], "both shards got sessions");
    // Each session works through many separate requests, whichever shard owns it.
    for (const sid of sids.slice(0, 6)) {
      for (let round = 0; round < 3; round++) {
        const push = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          method: "POST",
          body: `4m${round}`,
        });
        assert.equal(await push.text(), "ok");
        const poll = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
        assert.equal(await poll.text(), `4m${round}`);
      }
    }
  } finally {
    await server.stop();
  }
});

Deno.test("workerd: a session id naming no shard is unknown, over HTTP and WebSocket", async () => {
  const server = await startEngineEchoWorker(false);
  try {
    const base = `${server.url}/engine.io/`;
    for (const sid of ["7.abc", "abc", "-1.abc", "0x1.abc"]) {
      const response = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(response.status, 400, sid);
      assert.deepEqual(await response.json(), { code: 1, message: "Session ID unknown" });
    }
    const socket = connect(
      `${server.url.replace("http", "ws")}/engine.io/?EIO=4&transport=websocket&sid=9.x`,
    );
    await socket.next("close");
  } finally {
    await server.stop();
  }
});

Deno.test("workerd: the upgrade of a polling session goes to its object", async () => {
  const server = await startEngineEchoWorker(false);
  try {
    const response = await fetch(`${server.url}/engine.io/?EIO=4&transport=polling`);
    const sid = JSON.parse((await response.text()).slice(1)).sid;
    const socket = connect(
      `${server.url.replace("http", "ws")}/engine.io/?EIO=4&transport=websocket&sid=${sid}`,
    );
    await socket.next("open");
    socket.socket.send("2probe");
    assert.equal(await socket.message(), "3probe");
    socket.socket.send("5");
    socket.socket.send("4over the socket");
    assert.equal(await socket.message(), "4over the socket");
    await socket.close();
  } finally {
    await server.stop();
  }
});
