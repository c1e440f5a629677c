// Runs a bundled Worker in workerd through the Miniflare API, on 127.0.0.1 and a free port,
// and prints "listening on <url>". Usage: node miniflare_server.mjs <bundle.mjs> [<DO class>]
// (the Durable Object binding is ENGINE; a plain Worker passes no class). Environment: EIO3 is
// passed as a binding. Stops cleanly on SIGTERM/SIGINT.
import { dirname } from "node:path";
import { Miniflare } from "miniflare";

const [scriptPath, className] = process.argv.slice(2);
const mf = new Miniflare({
  modules: true,
  scriptPath,
  // Module paths are resolved from here; the bundle lives in a temporary folder.
  modulesRoot: dirname(scriptPath),
  compatibilityDate: "2025-11-01",
  durableObjects: className ? { ENGINE: className } : {},
  bindings: { EIO3: process.env.EIO3 ?? "0" },
  host: "127.0.0.1",
  port: 0,
});
const url = await mf.ready;
// deno-lint-ignore no-console -- the one line the test harness waits for
console.log(`listening on ${url.origin}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
