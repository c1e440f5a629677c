// Bundles a TypeScript entry point with esbuild into one file in a fresh temporary directory,
// for runtimes that cannot load the sources as they are (Node.js; Workers next).

/** How to bundle. */
export interface BundleOptions {
  /**
   * The platform esbuild targets: built-in modules, default conditions and main fields.
   * @default {"node"}
   */
  platform?: "node" | "browser" | "neutral";
  /**
   * The output module format.
   * @default {"esm"}
   */
  format?: "esm" | "cjs" | "iife";
  /** Extra package.json `exports` conditions (e.g. "workerd", "worker"), tried first. */
  conditions?: string[];
  /** Packages or paths left as imports (wildcards allowed, e.g. "cloudflare:*"). */
  external?: string[];
  /** package.json fields tried for a package's entry point (needed with platform "neutral"). */
  mainFields?: string[];
  /**
   * The output file's extension, which tells Node how to load it.
   * @default {".mjs" for "esm", ".cjs" for "cjs", ".js" otherwise}
   */
  extension?: string;
}

/** A bundle on disk. */
export interface Bundle {
  /** The absolute path of the bundled file. */
  file: string;
  /** Removes the bundle and its directory. */
  cleanup(): Promise<void>;
}

const ESBUILD = decodeURIComponent(
  new URL("../node_modules/.bin/esbuild", import.meta.url).pathname,
);

import type { Started } from "./_process.ts";

// CommonJS packages bundled into an ES module (ws) still call `require("events")`: give the
// module a real `require`, or esbuild's stub throws "Dynamic require ... is not supported".
const NODE_ESM_BANNER = 'import { createRequire as __edgeioCreateRequire } from "node:module"; ' +
  "const require = __edgeioCreateRequire(import.meta.url);";

/**
 * Bundles `entry` and its imports (npm packages included unless external) into one file in a new
 * temporary directory, outside the repository.
 *
 * @param entry The entry point: a path (relative to the working directory) or a file URL.
 * @param options Platform, format, conditions, externals.
 * @returns The bundle's path, and its cleanup.
 * @throws {Error} With esbuild's messages when bundling fails.
 */
export async function bundle(entry: string | URL, options: BundleOptions = {}): Promise<Bundle> {
  const { platform = "node", format = "esm" } = options;
  const entryPath = entry instanceof URL ? decodeURIComponent(entry.pathname) : entry;
  const extension = options.extension ??
    (format === "esm" ? ".mjs" : format === "cjs" ? ".cjs" : ".js");
  const name = entryPath.split("/").pop()!.replace(/\.[^.]*$/, "");
  const dir = await Deno.makeTempDir({ prefix: "edgeio-bundle-" });
  const file = `${dir}/${name}${extension}`;
  const cleanup = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  const args = [
    entryPath,
    "--bundle",
    `--platform=${platform}`,
    `--format=${format}`,
    `--outfile=${file}`,
    "--log-level=error",
  ];
  if (options.conditions?.length) args.push(`--conditions=${options.conditions.join(",")}`);
  if (options.mainFields?.length) args.push(`--main-fields=${options.mainFields.join(",")}`);
  for (const external of options.external ?? []) args.push(`--external:${external}`);
  if (platform === "node" && format === "esm") args.push(`--banner:js=${NODE_ESM_BANNER}`);
  const { success, stderr } = await new Deno.Command(ESBUILD, {
    args,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).output();
  if (!success) {
    await cleanup();
    throw new Error(`esbuild failed on ${entryPath}:\n${new TextDecoder().decode(stderr)}`);
  }
  return { file, cleanup };
}

/**
 * Bundles `entry`, starts a server on the bundle with `start`, and removes the bundle when the
 * server stops (or fails to start).
 *
 * @param entry The entry point.
 * @param options How to bundle.
 * @param start Starts the server from the bundled file.
 * @returns The started server, whose `stop()` also cleans the bundle up.
 */
export async function startBundled(
  entry: string | URL,
  options: BundleOptions,
  start: (file: string) => Promise<Started>,
): Promise<Started> {
  const bundled = await bundle(entry, options);
  let started: Started;
  try {
    started = await start(bundled.file);
  } catch (error) {
    await bundled.cleanup();
    throw error;
  }
  return {
    url: started.url,
    output: started.output,
    async stop() {
      await started.stop();
      await bundled.cleanup();
    },
  };
}
