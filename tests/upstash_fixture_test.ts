// The real @upstash/redis 1.39 client against the Upstash-REST-compatible fixture in front of a
// real redis-server: the facts adapter/upstash.ts builds on (tests/fixtures/UPSTASH_NOTES.md).
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { startUpstashStore, type UpstashStore } from "./fixtures/mod.ts";

type Subscriber = ReturnType<Redis["subscribe"]>;

/** The bound on every wait, generous because the whole suite runs in parallel. */
const WAIT = 10_000;

// On Deno 2.9.6, Subscriber.unsubscribe() sometimes leaves the stream's connection open (the
// client never closes its socket; see UPSTASH_NOTES.md), so these tests check only the SDK's side
// after unsubscribe() and stop() ends whatever is left. A body reader cancelled by hand closes its
// connection, which the raw subscription test below checks.

function client(
  store: UpstashStore,
  options: { responseEncoding?: false; enableAutoPipelining?: boolean } = {},
): Redis {
  return new Redis({ ...store.credentials, enableTelemetry: false, ...options });
}

async function withStore(
  fn: (store: UpstashStore, redis: Redis) => Promise<void>,
  options: { heartbeatMs?: number } = {},
): Promise<void> {
  const store = await startUpstashStore(options);
  try {
    await fn(store, client(store));
  } finally {
    await store.stop();
  }
}

/** Everything a subscriber dispatched, and a bounded wait for the next one. */
class Inbox {
  #items: Array<[string, unknown]> = [];
  #wake: (() => void) | undefined;

  constructor(subscriber: Subscriber, types: string[]) {
    for (const type of types) {
      // deno-lint-ignore no-explicit-any -- the SDK types listeners per event name
      subscriber.on(type as any, (data: unknown) => {
        this.#items.push([type, data]);
        this.#wake?.();
      });
    }
  }

  async next(ms = WAIT): Promise<[string, unknown]> {
    const deadline = Date.now() + ms;
    while (this.#items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no subscriber event within ${ms} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    return this.#items.shift()!;
  }

  get pending(): number {
    return this.#items.length;
  }
}

async function post(store: UpstashStore, path: string, body: unknown, headers = {}) {
  const response = await fetch(`${store.rest.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${store.credentials.token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const VALUES = ["plain", "a,b\r\nc", "ünïcödé 🚀", "OK", "", " spaced "];

Deno.test("Redis (SDK) SET/GET/INCR/EXPIRE work with base64 on and off, batched or not", async () => {
  await withStore(async (store, redis) => {
    const clients = [
      redis,
      client(store, { responseEncoding: false }),
      client(store, { enableAutoPipelining: false }),
    ];
    for (const each of clients) {
      for (const value of VALUES) {
        assert.equal(await each.set("k", value), "OK");
        assert.equal(await each.get("k"), value);
      }
      await each.set("json", { a: [1, "x"] });
      assert.deepEqual(await each.get("json"), { a: [1, "x"] });
      await each.set("digits", "123");
      assert.equal(await each.get("digits"), 123, "the SDK JSON-parses string results");
      assert.equal(await each.get("missing"), null);
      await each.del("n");
      assert.equal(await each.incr("n"), 1);
      assert.equal(await each.incrby("n", 41), 42);
      assert.equal(await each.expire("n", 100), 1);
      const ttl = await each.ttl("n");
      assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await each.ping(), "PONG");
    }
    // Auto-pipelining is on by default: single commands travel as /pipeline batches.
    assert.equal(store.rest.requests.get("/pipeline"), 2 * 23);
    assert.equal(store.rest.requests.get("/"), 23);
  });
});

Deno.test("startUpstashRest() base64-encodes every string but a top-level OK, bytes exactly", async () => {
  await withStore(async (store) => {
    const b64 = { "upstash-encoding": "base64" };
    assert.deepEqual(await post(store, "/", ["SET", "k", "é"], b64), {
      status: 200,
      body: { result: "OK" },
    });
    assert.deepEqual((await post(store, "/", ["GET", "k"], b64)).body, {
      result: btoa("\xc3\xa9"),
    });
    assert.deepEqual((await post(store, "/", ["GET", "k"])).body, { result: "é" });
    assert.deepEqual((await post(store, "/", ["PING"], b64)).body, { result: btoa("PONG") });
    assert.deepEqual((await post(store, "/", ["INCR", "n"], b64)).body, { result: 1 });
    await post(store, "/", ["RPUSH", "l", "x", "OK"]);
    assert.deepEqual((await post(store, "/", ["LRANGE", "l", 0, -1], b64)).body, {
      result: [btoa("x"), btoa("OK")],
    });
    assert.deepEqual(await post(store, "/pipeline", [["SET", "a", "b"], ["GET", "a"]], b64), {
      status: 200,
      body: [{ result: "OK" }, { result: btoa("b") }],
    });
    assert.deepEqual(await post(store, "/", ["GET"]), {
      status: 400,
      body: { error: "ERR wrong number of arguments for 'get' command" },
    });
  });
});

Deno.test("startUpstashRest() refuses a wrong token with 401 and accepts ?_token=", async () => {
  await withStore(async (store, redis) => {
    await redis.set("k", "v");
    const wrong = new Redis({ url: store.rest.url, token: "wrong", enableTelemetry: false });
    await assert.rejects(wrong.get("k"), { name: "UpstashError", message: /^Unauthorized/ });
    const bare = await fetch(store.rest.url, { method: "POST", body: '["GET","k"]' });
    assert.equal(bare.status, 401);
    await bare.body?.cancel();
    const query = await fetch(`${store.rest.url}/?_token=${store.credentials.token}`, {
      method: "POST",
      body: '["GET","k"]',
    });
    assert.deepEqual(await query.json(), { result: "v" });
  });
});

Deno.test("Redis (SDK) pipeline() reports errors per command; multi() runs atomically", async () => {
  await withStore(async (store, redis) => {
    const results = await redis.pipeline().set("s", "text").incr("s").get("s").exec({
      keepErrors: true,
    });
    assert.equal(results[0]!.result, "OK");
    assert.match(results[1]!.error!, /^ERR value is not an integer/);
    assert.equal(results[2]!.result, "text");
    await assert.rejects(redis.pipeline().incr("s").exec(), /Command 1 \[ incr \] failed/);
    assert.deepEqual(await redis.multi().set("m", 1).incr("m").get("m").exec(), ["OK", 2, 2]);
    const tx = await post(store, "/multi-exec", [["SET", "t", "x"], ["GET"]]);
    assert.deepEqual(tx, {
      status: 400,
      body: { error: "ERR wrong number of arguments for 'get' command" },
    });
    assert.equal(await redis.get("t"), null, "a discarded transaction wrote nothing");
    const blocking = await post(store, "/multi-exec", [["SET", "t", "x"], ["BLPOP", "q", 0]]);
    assert.equal(blocking.status, 400);
    assert.equal(await redis.get("t"), null);
  });
});

Deno.test("startUpstashRest() refuses blocking and connection-state commands like Upstash", async () => {
  await withStore(async (store, redis) => {
    await assert.rejects(redis.exec(["BLPOP", "q", "0"]), /blocking command is not supported/);
    await assert.rejects(
      redis.xread("s", "$", { blockMS: 1000 }),
      /blocking command is not supported over REST: 'XREAD'/,
    );
    await assert.rejects(redis.exec(["SUBSCRIBE", "c"]), /not supported over REST: 'SUBSCRIBE'/);
    await assert.rejects(redis.exec(["MULTI"]), /not supported over REST: 'MULTI'/);
    const piped = await post(store, "/pipeline", [["BRPOP", "q", 0], ["PING"]]);
    assert.equal(piped.status, 200);
    assert.match(piped.body[0].error, /blocking/);
    assert.deepEqual(piped.body[1], { result: "PONG" });
    assert.equal(await redis.exec(["XREAD", "COUNT", "1", "STREAMS", "s", "0"]), null);
  });
});

Deno.test("Redis (SDK) XADD with MAXLEN caps the stream and XRANGE reads it back", async () => {
  await withStore(async (_store, redis) => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(
        await redis.xadd("log", "*", { n: i, body: `p,${i}` }, {
          trim: { type: "MAXLEN", comparison: "=", threshold: 3 },
        }),
      );
    }
    assert.equal(await redis.xlen("log"), 3);
    const range = await redis.xrange("log", "-", "+");
    assert.deepEqual(Object.keys(range), ids.slice(3));
    assert.deepEqual(range[ids[5]!], { n: 5, body: "p,5" });
    assert.deepEqual(Object.keys(await redis.xrange("log", `(${ids[3]}`, "+", 1)), [ids[4]]);
  });
});

Deno.test("startUpstashRest() streams SSE lines and counts a subscription until it is cancelled", async () => {
  await withStore(async (store, redis) => {
    const response = await fetch(`${store.rest.url}/subscribe/ch/other`, {
      method: "POST",
      headers: { authorization: `Bearer ${store.credentials.token}` },
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    try {
      let received = "";
      const until = async (text: string) => {
        const deadline = Date.now() + WAIT;
        while (!received.includes(text)) {
          assert.ok(Date.now() < deadline, `no ${JSON.stringify(text)} in ${received}`);
          const { value, done } = await reader.read();
          assert.ok(!done, "the stream ended");
          received += new TextDecoder().decode(value);
        }
      };
      // Each path segment is a channel, each confirmation and message one `data:` line.
      await until("data: subscribe,other,2\n\n");
      assert.equal(store.rest.subscriptions, 1);
      await redis.publish("ch", "a,b");
      await until("data: message,ch,a,b\n\n");
      assert.equal(
        received,
        "data: subscribe,ch,1\n\ndata: subscribe,other,2\n\ndata: message,ch,a,b\n\n",
      );
    } finally {
      await reader.cancel();
    }
    await store.rest.waitForSubscriptions(0, WAIT);
    assert.equal(await redis.publish("ch", "late"), 0);
  });
});

Deno.test("Redis (SDK) subscribe() receives PUBLISHed messages over SSE until unsubscribe()", async () => {
  await withStore(async (store, redis) => {
    // One SSE stream per channel: the SDK sends one /subscribe/<channel> request for each.
    const subscriber = redis.subscribe(["chat", "other"]);
    try {
      const inbox = new Inbox(subscriber, ["subscribe", "message", "error"]);
      assert.deepEqual([await inbox.next(), await inbox.next()], [["subscribe", 1], [
        "subscribe",
        1,
      ]]);
      assert.equal(store.rest.subscriptions, 2);
      for (const message of ["hello", "a,b,c", "ünïcödé 🚀", { json: ["x", 1] }]) {
        assert.equal(await redis.publish("chat", message), 1);
        assert.deepEqual(await inbox.next(), ["message", { channel: "chat", message }]);
      }
      // Heartbeat comment lines (every 10 ms here) are ignored by the SDK.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(inbox.pending, 0);
      await subscriber.unsubscribe(["other"]);
      assert.deepEqual(subscriber.getSubscribedChannels(), ["chat"]);
      await subscriber.unsubscribe();
      await redis.publish("chat", "late");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(inbox.pending, 0, "nothing is dispatched after unsubscribe()");
    } finally {
      await subscriber.unsubscribe();
    }
  }, { heartbeatMs: 10 });
});

Deno.test("Redis (SDK) psubscribe() gets pmessage lines and rejects non-JSON payloads", async () => {
  await withStore(async (store, redis) => {
    const subscriber = redis.psubscribe(["room:*"]);
    try {
      const inbox = new Inbox(subscriber, ["psubscribe", "pmessage", "error"]);
      assert.deepEqual(await inbox.next(), ["psubscribe", 1]);
      await redis.publish("room:1", { n: 1 });
      assert.deepEqual(await inbox.next(), [
        "pmessage",
        { pattern: "room:*", channel: "room:1", message: { n: 1 } },
      ]);
      // Unlike subscribe(), psubscribe() parses without a fallback: plain text is an error event.
      await redis.publish("room:2", "plain text");
      const [type, error] = await inbox.next();
      assert.equal(type, "error");
      assert.match(String(error), /Failed to parse message/);
      assert.equal(store.rest.subscriptions, 1);
    } finally {
      await subscriber.unsubscribe();
    }
  });
});

Deno.test("Redis (SDK) subscribe() loses what the URL and the line format cannot carry", async () => {
  await withStore(async (store, redis) => {
    // The channel goes into the URL unencoded: `#` starts a fragment, so the stream subscribes to
    // "socket.io"; a comma in the channel shifts the fields of every message line.
    const hash = redis.subscribe(["socket.io#/#"]);
    const comma = redis.subscribe(["a,b"]);
    try {
      const hashInbox = new Inbox(hash, ["subscribe", "message"]);
      const commaInbox = new Inbox(comma, ["subscribe", "message"]);
      await hashInbox.next();
      await commaInbox.next();
      assert.equal(store.rest.subscriptions, 2);
      assert.equal(await redis.publish("socket.io#/#", "lost"), 0);
      assert.equal(await redis.publish("socket.io", "x"), 1);
      assert.deepEqual(await hashInbox.next(), ["message", { channel: "socket.io", message: "x" }]);
      // A newline ends the `data:` line; the SDK drops the rest of the payload.
      await redis.publish("socket.io", "line1\nline2");
      assert.deepEqual(await hashInbox.next(), ["message", {
        channel: "socket.io",
        message: "line1",
      }]);
      assert.equal(await redis.publish("a,b", "y"), 1);
      assert.deepEqual(await commaInbox.next(), ["message", { channel: "a", message: "b,y" }]);
    } finally {
      await hash.unsubscribe();
      await comma.unsubscribe();
    }
  });
});

Deno.test("Redis (SDK) gets 503 errors while the store is paused; its stream ends silently", async () => {
  await withStore(async (store, redis) => {
    const subscriber = redis.subscribe(["c"]);
    try {
      const inbox = new Inbox(subscriber, ["subscribe", "message", "error"]);
      await inbox.next();
      await store.rest.pause();
      assert.equal(store.rest.subscriptions, 0);
      await assert.rejects(redis.get("k"), {
        name: "UpstashError",
        message: /Service Unavailable/,
      });
      store.rest.resume();
      assert.equal(await redis.set("k", "v"), "OK");
      // The SDK neither reconnects nor reports the end of the stream.
      assert.equal(await redis.publish("c", "after"), 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(inbox.pending, 0);
      assert.deepEqual(subscriber.getSubscribedChannels(), ["c"]);
    } finally {
      await subscriber.unsubscribe();
    }
  });
});

Deno.test("Redis (SDK) fails while redis-server is killed and works again after restart", async () => {
  await withStore(async (store, redis) => {
    await redis.set("k", "v");
    const subscriber = redis.subscribe(["c"]);
    let again: Subscriber | undefined;
    try {
      await new Inbox(subscriber, ["subscribe"]).next();
      await store.redis.kill();
      await store.rest.waitForSubscriptions(0, WAIT);
      await assert.rejects(redis.get("k"), {
        name: "UpstashError",
        message: /redis is unavailable/,
      });
      const failed = redis.subscribe(["d"]);
      const failure = await new Inbox(failed, ["error"]).next();
      assert.match(String(failure[1]), /redis is unavailable/);
      await failed.unsubscribe();
      await store.redis.restart();
      assert.equal(await redis.get("k"), null, "redis-server keeps nothing across a restart");
      assert.equal(await redis.set("k", "again"), "OK");
      again = redis.subscribe(["c"]);
      const inbox = new Inbox(again, ["subscribe", "message"]);
      await inbox.next();
      assert.equal(await redis.publish("c", "back"), 1, "only the new subscription listens");
      assert.deepEqual(await inbox.next(), ["message", { channel: "c", message: "back" }]);
    } finally {
      await subscriber.unsubscribe();
      await again?.unsubscribe();
    }
  });
});
