// Runs a bundled Worker in workerd through the Miniflare API with the settings of an example's
// wrangler.toml (passed as JSON: compatibility date, Durable Object bindings, and optional
// `bindings`: plain-text [vars]/secrets), on 127.0.0.1 and a free port; prints
// "listening on <url>". Usage: node _miniflare.mjs <bundle.mjs> <settings.json>
import { dirname } from "node:path";
import { Miniflare } from "miniflare";

const [scriptPath, settings] = process.argv.slice(2);
const { compatibilityDate, durableObjects, bindings = {} } = JSON.parse(settings);
const mf = new Miniflare({
  modules: true,
  scriptPath,
  modulesRoot: dirname(scriptPath),
  compatibilityDate,
  durableObjects,
  bindings,
  host: "127.0.0.1",
  port: 0,
});
const url = await mf.ready;
// deno-lint-ignore no-console -- the one line the test waits for
console.log(`listening on ${url.origin}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
