// examples/deno/ started as its README says (`deno run`), driven by official clients.
import assert from "node:assert/strict";
import { DENO, startServer } from "../_process.ts";
import { example, exerciseChat } from "./_examples.ts";

Deno.test("examples/deno serves the chat page, event acks and room broadcasts, then stops on SIGTERM", async () => {
  const server = await startServer(DENO, [
    "run",
    "--allow-net",
    "--allow-env=HOST,PORT",
    example("deno/server.ts"),
  ]);
  try {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="\/socket\.io\/socket\.io\.min\.js">/);
    await exerciseChat(server.url);
  } finally {
    await server.stop();
  }
  assert.deepEqual(server.output.filter((line) => /error/i.test(line)), []);
});
