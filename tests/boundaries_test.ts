import assert from "node:assert/strict";
import { checkBoundaries, importsOf, type Sources } from "./_boundaries.ts";

const ROOT = new URL("../", import.meta.url);
const LIBRARY_DIRS = ["parser", "server", "client", "adapter"];

async function librarySources(): Promise<Sources> {
  const sources: Sources = new Map([["mod.ts", await Deno.readTextFile(new URL("mod.ts", ROOT))]]);
  const walk = async (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(new URL(dir, ROOT)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      // The generated client bundle is data (strings), not code that imports anything.
      else if (entry.name.endsWith(".ts") && path !== "server/_client_files.ts") {
        sources.set(path, await Deno.readTextFile(new URL(path, ROOT)));
      }
    }
  };
  for (const dir of LIBRARY_DIRS) await walk(dir);
  return sources;
}

Deno.test("checkBoundaries() finds no crossed import boundary in the library", async () => {
  const sources = await librarySources();
  assert.ok(sources.has("parser/mod.ts"), "the walk found the parser");
  assert.deepEqual(checkBoundaries(sources), []);
});

Deno.test("checkBoundaries() reports each kind of crossing in broken samples", () => {
  const broken: Sources = new Map([
    ["mod.ts", 'export * from "./server/mod.ts";'],
    ["server/mod.ts", 'import { serve } from "./runtime/deno.ts";\nexport { serve };'],
    ["server/runtime/deno.ts", "export const serve = Deno.serve;"],
    ["parser/a.ts", 'import { x } from "../server/mod.ts";\nimport fc from "fast-check";'],
    ["client/a.ts", 'import { y } from "../adapter/mod.ts";\nconst s = new WebSocketPair();'],
    ["adapter/mod.ts", 'import { Redis } from "@upstash/redis";\nimport * as fs from "node:fs";'],
    ["adapter/upstash.ts", 'import { Redis } from "npm:@upstash/redis@1";'],
  ]);
  const problems = checkBoundaries(broken);
  const expected = [
    "parser/a.ts: parser/ imports server/mod.ts",
    "parser/a.ts: imports fast-check",
    "client/a.ts: client/ imports adapter/mod.ts",
    "client/a.ts: runtime API outside server/runtime/",
    "adapter/mod.ts: imports @upstash/redis",
    "adapter/mod.ts: imports node:fs",
    "mod.ts: reaches runtime file server/runtime/deno.ts",
  ];
  for (const problem of expected) {
    assert.ok(problems.includes(problem), `${problem} in ${problems}`);
  }
  assert.ok(
    !problems.some((p) => p.startsWith("adapter/upstash.ts")),
    "upstash.ts may import @upstash/redis",
  );
  assert.ok(
    !problems.some((p) => p.startsWith("server/runtime/")),
    "runtime files may use runtime APIs",
  );
});

Deno.test("importsOf() reads static, dynamic and side-effect imports but not comments", () => {
  const text = [
    'import { a } from "./a.ts";',
    'export * from "./b.ts";',
    'import type { C } from "./c.ts";',
    'const d = await import("./d.ts");',
    'import "./e.ts";',
    '// import { z } from "./commented.ts";',
    '/** @example import { w } from "./doc.ts"; */',
  ].join("\n");
  assert.deepEqual(importsOf(text), ["./a.ts", "./b.ts", "./c.ts", "./d.ts", "./e.ts"]);
});
