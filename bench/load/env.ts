// The environment line of a report: runtimes, machine and library versions.

/** Where the benchmark ran. */
export interface Environment {
  deno: string;
  v8: string;
  node: string;
  /** The official server's version, from node_modules. */
  engineIo: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
}

async function nodeVersion(): Promise<string> {
  const { stdout } = await new Deno.Command("node", { args: ["--version"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout).trim();
}

/**
 * Collects the environment.
 *
 * @param root The project root (for node_modules/engine.io).
 * @returns The environment.
 */
export async function environment(root: URL): Promise<Environment> {
  const engineIo = JSON.parse(
    await Deno.readTextFile(new URL("node_modules/engine.io/package.json", root)),
  ) as { version: string };
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKb = Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1] ?? NaN);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node: await nodeVersion(),
    engineIo: engineIo.version,
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(memKb / 1024 / 1024),
    kernel: Deno.osRelease(),
  };
}

/**
 * The version of an installed npm package.
 *
 * @param root The project root (for node_modules).
 * @param name The package.
 * @returns Its version.
 */
export async function packageVersion(root: URL, name: string): Promise<string> {
  const path = new URL(`node_modules/${name}/package.json`, root);
  return (JSON.parse(await Deno.readTextFile(path)) as { version: string }).version;
}

/** The environment as one line. */
export function describeEnvironment(env: Environment): string {
  return `deno ${env.deno} (V8 ${env.v8}), node ${env.node} with engine.io ${env.engineIo}; ` +
    `${env.cores} × ${env.cpu}, ${env.memoryGiB} GiB, Linux ${env.kernel}`;
}
