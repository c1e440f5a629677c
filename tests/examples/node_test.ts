// examples/node/ bundled with esbuild (as its README says) and run by `node`, driven by official
// clients.
import { startServer } from "../_process.ts";
import { bundleExample, example, exerciseChat, pathsTsconfig } from "./_examples.ts";

Deno.test("examples/node bundled and run by node: event acks and room broadcasts", async () => {
  const { dir, file: tsconfig } = await pathsTsconfig();
  try {
    const bundle = await bundleExample(example("node/server.ts"), "node", dir, tsconfig);
    const server = await startServer("node", [bundle]);
    try {
      await exerciseChat(server.url);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
