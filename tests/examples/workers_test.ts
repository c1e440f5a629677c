// examples/workers/ bundled for Workers and run in workerd through Miniflare with the settings of
// the example's own wrangler.toml (what `npx wrangler dev` would do), driven by official clients.
import assert from "node:assert/strict";
import { startServer } from "../_process.ts";
import { bundleExample, example, exerciseChat, pathsTsconfig } from "./_examples.ts";

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

Deno.test("examples/workers in workerd with its wrangler.toml: event acks and room broadcasts", async () => {
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
  const settings = {
    compatibilityDate: toml.compatibility_date,
    durableObjects: Object.fromEntries(bindings.map((b) => [b.name, b.class_name])),
  };
  const { dir, file: tsconfig } = await pathsTsconfig();
  try {
    const main = example(`workers/${toml.main}`);
    const bundle = await bundleExample(main, "workers", dir, tsconfig);
    const server = await startServer("node", [MINIFLARE, bundle, JSON.stringify(settings)]);
    try {
      const home = await fetch(`${server.url}/`);
      assert.equal(home.status, 200);
      await home.body?.cancel();
      await exerciseChat(server.url);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
