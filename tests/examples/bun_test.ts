// examples/bun/ run from its TypeScript source by `bun run` (its tsconfig would map
// `@edgeio/edgeio` to the installed package; here to this repository), driven by official clients.
import { startServer } from "../_process.ts";
import { example, exerciseChat, pathsTsconfig } from "./_examples.ts";

const BUN = decodeURIComponent(new URL("../../node_modules/.bin/bun", import.meta.url).pathname);

Deno.test("examples/bun run by bun: event acks and room broadcasts", async () => {
  const { dir, file: tsconfig } = await pathsTsconfig();
  try {
    const server = await startServer(BUN, [
      "run",
      `--tsconfig-override=${tsconfig}`,
      example("bun/server.ts"),
    ]);
    try {
      await exerciseChat(server.url);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
