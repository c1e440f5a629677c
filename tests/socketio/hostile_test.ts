// Hostile Socket.IO packets from a raw client, in process (io.fetch, in-memory WebSockets, fake
// timers): each closes its own connection the way socket.io 4.8.4 does, never throws out of the
// server, leaves no timer behind, and leaves the other clients connected.
//
// The official reasons, measured against socket.io 4.8.4: a packet the decoder rejects emits
// `error` on the client's sockets, then closes the connection (`forced close`); a packet that
// does not suit the namespace state (a second CONNECT, a DISCONNECT or an EVENT for a namespace
// not joined, a CONNECT_ERROR from the client) closes it (`forced close`, or `forced server
// close` when the transport cannot close at once); an invalid Engine.IO packet is `parse error`.
import assert from "node:assert/strict";
import { Server, type Socket } from "../../server/mod.ts";
import { FakeTimers } from "../server/_fakes.ts";
import { type Frame, MemoryUpgrader, RawClient, type Transport } from "../_raw_client.ts";

const BASE = "http://localhost/socket.io/";
const TRANSPORTS: Transport[] = ["polling", "websocket"];
const FORCED = ["forced close", "forced server close"];

interface World {
  io: Server;
  timers: FakeTimers;
  /** Disconnect reasons and errors of the server sockets, by Socket.IO id. */
  log: Map<string, string[]>;
  sockets: Socket[];
  open(transport: Transport): Promise<RawClient>;
}

async function withWorld(
  options: { connectTimeout?: number },
  fn: (world: World) => Promise<void>,
): Promise<void> {
  const timers = new FakeTimers();
  // deno-lint-ignore prefer-const -- the upgrader needs the server's fetch, made after it
  let io: Server;
  const memory = new MemoryUpgrader(() => io.fetch);
  io = new Server({ timers, upgradeWebSocket: memory.upgradeWebSocket, ...options });
  const log = new Map<string, string[]>();
  const sockets: Socket[] = [];
  const watch = (socket: Socket) => {
    sockets.push(socket);
    const entries: string[] = [];
    log.set(socket.id, entries);
    socket.on("error", (error: Error) => entries.push(`error:${error.name}`));
    socket.on("disconnect", (reason: string) => entries.push(`disconnect:${reason}`));
    socket.on("echo", (...args: unknown[]) => socket.emit("echo-back", ...args));
  };
  io.on("connection", watch);
  io.of("/custom", watch);
  const clients: RawClient[] = [];
  try {
    await fn({
      io,
      timers,
      log,
      sockets,
      async open(transport) {
        const client = await RawClient.connect({ base: BASE, transport, fetch: io.fetch, memory });
        clients.push(client);
        return client;
      },
    });
  } finally {
    for (const client of clients) await client.close();
    await io.close();
  }
}

/** Joins "/" and returns the server socket's id. */
async function join(client: RawClient, nsp = "/"): Promise<string> {
  const answer = await client.join(nsp);
  return JSON.parse(answer.slice(nsp === "/" ? 2 : nsp.length + 3)).sid;
}

/** The bystander still talks to the server. */
async function stillServed(bystander: RawClient): Promise<void> {
  await bystander.send('2["echo","still here"]');
  assert.equal(await bystander.next(), '42["echo-back","still here"]');
  assert.equal(bystander.isClosed, false);
}

const bytes = (...values: number[]) => Uint8Array.from(values);

// Packets the decoder rejects, sent by a client joined to "/".
const UNDECODABLE: Array<[string, Frame[]]> = [
  ["an EVENT with garbage for a payload", ["2garbage"]],
  ["an unknown packet type 7", ["7"]],
  ["an unknown packet type 'a'", ["abc"]],
  ["an EVENT whose payload is not an array", ["2{}"]],
  ["an ack id that is not a number", ['2abc["echo",1]']],
  ["a reserved event name", ['2["disconnect"]']],
  ["a placeholder out of range", ['51-["echo",{"_placeholder":true,"num":5}]', bytes(1)]],
  ["a placeholder num that is a string", ['51-["echo",{"_placeholder":true,"num":"0"}]', bytes(1)]],
  ["a negative placeholder num", ['51-["echo",{"_placeholder":true,"num":-1}]', bytes(1)]],
  ["a fractional placeholder num", [
    '52-["echo",{"_placeholder":true,"num":0.5}]',
    bytes(1),
    bytes(2),
  ]],
  ["more attachments than placeholders", [
    '52-["echo",{"_placeholder":true,"num":0}]',
    bytes(1),
    bytes(2),
  ]],
  ["11 attachments (the limit is 10)", ['511-["echo"]']],
  ["an attachment count that is not a number", ['5x-["echo"]']],
  ["a binary frame with no packet awaiting it", [bytes(1, 2)]],
  ["a text frame while attachments are awaited", [
    '51-["echo",{"_placeholder":true,"num":0}]',
    '2["echo"]',
  ]],
];

// Packets that do not suit the namespace state, sent by a client joined to "/".
const OUT_OF_STATE: Array<[string, string]> = [
  ["a second CONNECT to a namespace joined", "0"],
  ["a DISCONNECT for a namespace never joined", "1/custom,"],
  ["an EVENT for a namespace never joined", '2/custom,["echo"]'],
  ["an ACK for a namespace never joined", "3/custom,1[]"],
  ["a CONNECT_ERROR from the client", '4{"message":"no"}'],
];

for (const transport of TRANSPORTS) {
  for (const [what, frames] of UNDECODABLE) {
    Deno.test(`hostile (${transport}): ${what} errors the socket and closes the connection`, async () => {
      await withWorld({}, async ({ io, timers, log, open }) => {
        const bystander = await open(transport);
        const bystanderId = await join(bystander);
        const baseline = timers.pending;
        const hostile = await open(transport);
        const hostileId = await join(hostile);
        await hostile.send(...frames);
        await hostile.closed();
        assert.deepEqual(hostile.drain(), [], "nothing is answered");
        assert.deepEqual(log.get(hostileId), ["error:SyntaxError", "disconnect:forced close"]);
        assert.equal(io.sockets.sockets.has(hostileId), false);
        assert.equal(timers.pending, baseline, "the hostile session left no timer");
        await stillServed(bystander);
        assert.deepEqual(log.get(bystanderId), []);
      });
    });
  }

  for (const [what, frame] of OUT_OF_STATE) {
    Deno.test(`hostile (${transport}): ${what} closes the connection`, async () => {
      await withWorld({}, async ({ io, timers, log, open }) => {
        const bystander = await open(transport);
        const bystanderId = await join(bystander);
        const baseline = timers.pending;
        const hostile = await open(transport);
        const hostileId = await join(hostile);
        await hostile.send(frame);
        await hostile.closed();
        assert.deepEqual(hostile.drain(), [], "nothing is answered");
        const entries = log.get(hostileId)!;
        assert.equal(entries.length, 1, entries.join());
        assert.ok(FORCED.map((r) => `disconnect:${r}`).includes(entries[0]!), entries[0]);
        assert.equal(io.sockets.sockets.has(hostileId), false);
        assert.equal(io.of("/custom").sockets.size, 0);
        assert.equal(timers.pending, baseline, "the hostile session left no timer");
        await stillServed(bystander);
        assert.deepEqual(log.get(bystanderId), []);
      });
    });
  }

  for (
    const [what, frames] of [
      ["an EVENT", ['2["echo"]']],
      ["a DISCONNECT", ["1"]],
      ["an ACK", ["30[]"]],
      ["a CONNECT whose auth is not an object", ['0"token"']],
      ["garbage", ["2garbage"]],
    ] as Array<[string, Frame[]]>
  ) {
    Deno.test(`hostile (${transport}): ${what} before any CONNECT closes the connection`, async () => {
      await withWorld({}, async ({ timers, sockets, open }) => {
        const bystander = await open(transport);
        await join(bystander);
        const baseline = timers.pending;
        const hostile = await open(transport);
        await hostile.send(...frames);
        await hostile.closed();
        assert.deepEqual(hostile.drain(), []);
        assert.equal(sockets.length, 1, "only the bystander ever connected");
        assert.equal(timers.pending, baseline);
        await stillServed(bystander);
      });
    });
  }

  Deno.test(`hostile (${transport}): an invalid Engine.IO packet is a parse error`, async () => {
    await withWorld({}, async ({ timers, log, open }) => {
      const bystander = await open(transport);
      await join(bystander);
      const baseline = timers.pending;
      const hostile = await open(transport);
      const hostileId = await join(hostile);
      await hostile.sendEngine("9");
      await hostile.closed();
      assert.deepEqual(log.get(hostileId), ["disconnect:parse error"]);
      assert.equal(timers.pending, baseline);
      await stillServed(bystander);
    });
  });

  Deno.test(`hostile (${transport}): packets socket.io ignores leave the connection open`, async () => {
    await withWorld({}, async ({ log, open }) => {
      const client = await open(transport);
      const id = await join(client);
      // An ACK nobody waits for, ACKs without arguments, and EVENTs without arguments (so
      // without a name): socket.io 4.8.4 ignores them all.
      await client.send('3["x"]', "37", "3", "2", "21");
      await stillServed(client);
      assert.deepEqual(log.get(id), []);
    });
  });

  Deno.test(`hostile (${transport}): a hostile client in one namespace closes its others too`, async () => {
    await withWorld({}, async ({ io, log, open }) => {
      const client = await open(transport);
      const main = await join(client);
      const custom = await join(client, "/custom");
      await client.send('2/custom,["echo",');
      await client.closed();
      assert.deepEqual(log.get(main), ["error:SyntaxError", "disconnect:forced close"]);
      assert.deepEqual(log.get(custom), ["error:SyntaxError", "disconnect:forced close"]);
      assert.equal(io.sockets.sockets.size, 0);
      assert.equal(io.of("/custom").sockets.size, 0);
    });
  });

  Deno.test(`connectTimeout (${transport}): a session that never joins is closed`, async () => {
    await withWorld({ connectTimeout: 1000 }, async ({ timers, sockets, open }) => {
      const joined = await open(transport);
      await join(joined);
      const baseline = timers.pending;
      const idle = await open(transport);
      assert.ok(timers.pending > baseline, "the connect timer is armed");
      timers.tick(999);
      await Promise.resolve();
      assert.equal(idle.isClosed, false);
      timers.tick(1);
      await idle.closed();
      assert.equal(timers.pending, baseline, "no timer outlives the session");
      // The client that joined in time is unaffected.
      await stillServed(joined);
      assert.equal(sockets.length, 1);
    });
  });

  Deno.test(`connectTimeout (${transport}): joining in time disarms it`, async () => {
    await withWorld({ connectTimeout: 1000 }, async ({ timers, log, open }) => {
      const client = await open(transport);
      const baseline = timers.pending;
      const id = await join(client);
      assert.equal(timers.pending, baseline - 1, "the connect timer is cleared on join");
      timers.tick(1500);
      await stillServed(client);
      assert.deepEqual(log.get(id), []);
    });
  });
}

// Without a GET waiting, a polling transport cannot close at once: socket.io then disconnects
// the sockets itself for a packet out of state, and waits for the transport after a decoder error.
Deno.test("hostile (polling, no GET waiting): out-of-state and undecodable packets", async () => {
  await withWorld({}, async ({ io, timers, log }) => {
    const url = (sid?: string) =>
      `${BASE}?EIO=4&transport=polling${sid === undefined ? "" : `&sid=${sid}`}`;
    const get = async (sid: string) => {
      const response = await io.fetch(new Request(url(sid)));
      return { status: response.status, body: await response.text() };
    };
    const post = async (sid: string, body: string) => {
      const response = await io.fetch(new Request(url(sid), { method: "POST", body }));
      return { status: response.status, body: await response.text() };
    };
    const joined = async () => {
      const open = await (await io.fetch(new Request(url()))).text();
      const sid = JSON.parse(open.slice(1)).sid as string;
      assert.deepEqual(await post(sid, "40"), { status: 200, body: "ok" });
      const answer = await get(sid);
      return { sid, id: JSON.parse(answer.body.slice(2)).sid as string };
    };
    const baseline = timers.pending;

    const twice = await joined();
    assert.deepEqual(await post(twice.sid, "40"), { status: 200, body: "ok" });
    assert.deepEqual(log.get(twice.id), ["disconnect:forced server close"]);
    assert.equal(io.sockets.sockets.has(twice.id), false);
    // The transport closes on the next GET (a close packet), after which the sid is unknown.
    assert.deepEqual(await get(twice.sid), { status: 200, body: "6\x1e1" });
    assert.equal((await get(twice.sid)).status, 400);

    const garbage = await joined();
    assert.deepEqual(await post(garbage.sid, "42garbage"), { status: 200, body: "ok" });
    assert.deepEqual(
      log.get(garbage.id),
      ["error:SyntaxError"],
      "connected until the transport closes",
    );
    assert.deepEqual(await get(garbage.sid), { status: 200, body: "6\x1e1" });
    assert.deepEqual(log.get(garbage.id), ["error:SyntaxError", "disconnect:forced close"]);

    const forgotten = await joined();
    assert.deepEqual(await post(forgotten.sid, "42{}"), { status: 200, body: "ok" });
    timers.tick(30000);
    assert.deepEqual(log.get(forgotten.id), ["error:SyntaxError", "disconnect:forced close"]);
    assert.equal(timers.pending, baseline);
  });
});
