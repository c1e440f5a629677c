// examples/workers/ bundled for Workers and run in workerd through Miniflare with the settings of
// the example's own wrangler.toml (what `npx wrangler dev` would do), driven by official clients:
// as shipped (one object), and with Upstash credentials (the fixture's redis-server behind an
// Upstash-compatible REST endpoint) over two objects.
import assert from "node:assert/strict";
import { startUpstashStore } from "../fixtures/mod.ts";
import { startServer } from "../_process.ts";
import { shardOf } from "../../server/runtime/workers_shards.ts";
import {
  bundleExample,
  type ClientSocket,
  connect,
  example,
  exerciseChat,
  once,
  pathsTsconfig,
  WAIT,
} from "./_examples.ts";

const MINIFLARE = decodeURIComponent(new URL("./_miniflare.mjs", import.meta.url).pathname);

type Toml = Record<string, unknown>;

/** Reads the few TOML forms wrangler.toml uses here: tables, arrays of tables, strings, arrays. */
function parseToml(text: string): Toml {
  const root: Toml = {};
  let table = root;
  const at = (path: string, array: boolean) => {
    const keys = path.split(".");
    let node = root;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Toml;
    const last = keys.at(-1)!;
    if (!array) return (node[last] ??= {}) as Toml;
    const list = (node[last] ??= []) as Toml[];
    list.push({});
    return list.at(-1)!;
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const header = line.match(/^(\[\[?)([\w.]+)\]\]?$/);
    if (header) {
      table = at(header[2]!, header[1] === "[[");
      continue;
    }
    const pair = line.match(/^(\w+)\s*=\s*(.+)$/);
    if (!pair) throw new SyntaxError(`Cannot read wrangler.toml line: ${raw}`);
    table[pair[1]!] = JSON.parse(pair[2]!);
  }
  return root;
}

/** The example's wrangler.toml, checked, as Miniflare settings plus the bundle's entry. */
async function exampleSettings() {
  const toml = parseToml(await Deno.readTextFile(example("workers/wrangler.toml")));
  const bindings = (toml.durable_objects as { bindings: { name: string; class_name: string }[] })
    .bindings;
  const migrations = toml.migrations as { new_classes?: string[]; new_sqlite_classes?: string[] }[];
  // Every bound class is declared by a migration, as `wrangler deploy` requires.
  for (const { class_name } of bindings) {
    assert.ok(
      migrations.some((m) =>
        [...m.new_classes ?? [], ...m.new_sqlite_classes ?? []].includes(class_name)
      ),
      class_name,
    );
  }
  return {
    main: example(`workers/${toml.main}`),
    settings: {
      compatibilityDate: toml.compatibility_date,
      durableObjects: Object.fromEntries(bindings.map((b) => [b.name, b.class_name])),
      bindings: (toml.vars ?? {}) as Record<string, string>,
    },
  };
}

/** Bundles the example, runs it in workerd with `vars` added to its [vars], and stops it. */
async function withExample(
  vars: Record<string, string>,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const { main, settings } = await exampleSettings();
  settings.bindings = { ...settings.bindings, ...vars };
  const { dir, file: tsconfig } = await pathsTsconfig();
  try {
    const bundle = await bundleExample(main, "workers", dir, tsconfig);
    const server = await startServer("node", [MINIFLARE, bundle, JSON.stringify(settings)]);
    try {
      await run(server.url);
      assert.doesNotMatch(server.output.join("\n"), /Upstash adapter:|Error/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("examples/workers in workerd with its wrangler.toml: event acks and room broadcasts", async () => {
  await withExample({}, async (url) => {
    const home = await fetch(`${url}/`);
    assert.equal(home.status, 200);
    await home.body?.cancel();
    await exerciseChat(url);
  });
});

Deno.test("examples/workers with Upstash credentials: two objects share a room", async () => {
  const store = await startUpstashStore();
  try {
    const vars = {
      UPSTASH_REDIS_REST_URL: store.credentials.url,
      UPSTASH_REDIS_REST_TOKEN: store.credentials.token,
      SHARDS: "2",
    };
    await withExample(vars, async (url) => {
      // Clients whose `room` query lands on object 0 and on object 1 meet in one chat room.
      const key = (shard: number) => {
        for (let i = 0; i < 1000; i++) if (shardOf(`room${i}`, 2) === shard) return `room${i}`;
        throw new Error(`no key for shard ${shard}`);
      };
      const clients: ClientSocket[] = [];
      try {
        const a = await connect(`${url}/?room=${key(0)}`, ["websocket"], clients);
        const b = await connect(`${url}/?room=${key(1)}`, ["polling"], clients);
        const c = await connect(`${url}/?room=${key(1)}`, ["websocket"], clients);
        assert.deepEqual([a, b, c].map((s) => s.io.engine.id.split(".")[0]), ["0", "1", "1"]);
        const join = (socket: ClientSocket, room: string) =>
          socket.timeout(WAIT).emitWithAck("join", room);
        assert.equal(await join(a, "lobby"), "lobby");
        assert.equal(await join(b, "lobby"), "lobby");
        assert.equal(await join(c, "elsewhere"), "elsewhere");
        const strays: unknown[] = [];
        c.on("message", (message) => strays.push(message));

        const toB = once(b, "message");
        assert.deepEqual(await a.timeout(WAIT).emitWithAck("message", "lobby", "0 to 1"), {
          ok: true,
        });
        assert.deepEqual(await toB, [{ room: "lobby", from: a.id, text: "0 to 1" }]);
        const toA = once(a, "message");
        assert.deepEqual(await b.timeout(WAIT).emitWithAck("message", "lobby", "1 to 0"), {
          ok: true,
        });
        assert.deepEqual(await toA, [{ room: "lobby", from: b.id, text: "1 to 0" }]);
        // c shares object 1 with b, which broadcast last: had c been reached, it would have been
        // before b's ack.
        assert.deepEqual(strays, []);
      } finally {
        for (const socket of clients) socket.disconnect();
      }
      // The whole chat scenario, with clients on random objects.
      await exerciseChat(url);
    });
  } finally {
    await store.stop();
  }
});
