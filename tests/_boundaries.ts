// The import boundaries of ../shared/ARCHITECTURE.md, as a checker over source texts, so the
// test can run it on the tree and on deliberately broken samples alike.

/** Source files by path relative to the project root, e.g. "parser/mod.ts". */
export type Sources = Map<string, string>;

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;
const RUNTIME_API = /\bDeno\.|\bBun\.|\bWebSocketPair\b|from\s+["'](?:node|cloudflare):/;
const NPM_OWNERS: Record<string, RegExp> = {
  "@upstash/redis": /^adapter\/upstash\.ts$/,
  ws: /^server\/runtime\/node\.ts$/,
};

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

export function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of stripComments(text).matchAll(IMPORT)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

const isRelative = (s: string) => s.startsWith("./") || s.startsWith("../");
const isRuntimeFile = (path: string) => path.startsWith("server/runtime/");

/** Every broken rule, as "path: what"; empty when the sources keep the boundaries. */
export function checkBoundaries(sources: Sources): string[] {
  const problems: string[] = [];
  for (const [path, text] of sources) {
    if (!isRuntimeFile(path) && RUNTIME_API.test(stripComments(text))) {
      problems.push(`${path}: runtime API outside server/runtime/`);
    }
    for (const specifier of importsOf(text)) {
      if (!isRelative(specifier)) {
        const name = specifier.replace(/^npm:/, "").replace(/@[^/]*$/, "");
        const owner = Object.entries(NPM_OWNERS).find(([pkg]) =>
          name === pkg || name.startsWith(pkg + "/")
        );
        const nodeBuiltin = specifier.startsWith("node:") || specifier.startsWith("cloudflare:");
        if (nodeBuiltin ? !isRuntimeFile(path) : !owner || !owner[1].test(path)) {
          problems.push(`${path}: imports ${specifier}`);
        }
        continue;
      }
      const target = resolve(path, specifier);
      if (path.startsWith("parser/") && !target.startsWith("parser/")) {
        problems.push(`${path}: parser/ imports ${target}`);
      }
      if (path.startsWith("client/") && /^(server|adapter)\//.test(target)) {
        problems.push(`${path}: client/ imports ${target}`);
      }
    }
  }
  problems.push(...reachableFromMod(sources));
  return problems;
}

// mod.ts must not pull in a runtime file or an npm package through any chain of imports.
function reachableFromMod(sources: Sources): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = ["mod.ts"];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path) || !sources.has(path)) continue;
    seen.add(path);
    if (isRuntimeFile(path)) problems.push(`mod.ts: reaches runtime file ${path}`);
    for (const specifier of importsOf(sources.get(path)!)) {
      if (isRelative(specifier)) queue.push(resolve(path, specifier));
      else problems.push(`mod.ts: reaches ${specifier} through ${path}`);
    }
  }
  return problems;
}
