// The chat demo in a real browser: two headless Chromium pages chat, share an image, ride out a
// short disconnect (connection state recovery) and a server restart. The pages are driven from
// Node by _drive.mjs (playwright-core reads more of `node:os` than `deno test` may); this test
// owns the demo server process, restarts it when the driver asks, and checks what the driver saw.
import assert from "node:assert/strict";
import { DENO, type Started, startServer } from "../_process.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../../", import.meta.url).pathname;
const DRIVER = new URL("./_drive.mjs", import.meta.url).pathname;
const SCENARIO_TIMEOUT_MS = 90_000;

function startDemo(port: number): Promise<Started> {
  return startServer(DENO, [
    "run",
    "--unstable-no-legacy-abort",
    "--allow-net=127.0.0.1",
    `--allow-read=${ROOT}demo/chat/public`,
    "--allow-env=HOST,PORT",
    `${ROOT}demo/chat/server.ts`,
  ], { PORT: String(port) });
}

type Message =
  | { type: "fact"; name: string; value: unknown }
  | { type: "need"; what: string }
  | { type: "done" }
  | { type: "error"; step: string; message: string };

/** Runs the driver; answers its restart request with `restart`; returns the facts it reported. */
async function drive(
  env: Record<string, string>,
  serverOutput: () => string[],
  restart: () => Promise<void>,
): Promise<Map<string, unknown>> {
  const child = new Deno.Command("node", {
    args: [DRIVER],
    cwd: ROOT,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const stderr = new Response(child.stderr).text();
  const facts = new Map<string, unknown>();
  let outcome: Message | undefined;
  let failure: unknown;
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  // Playwright closes its browser on SIGTERM; SIGKILL follows if the driver lingers.
  const stopDriver = () => {
    try {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone meanwhile */ }
      }, 5000);
    } catch { /* already gone */ }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stopDriver();
  }, SCENARIO_TIMEOUT_MS);
  try {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = JSON.parse(line) as Message;
        if (message.type === "fact") facts.set(message.name, message.value);
        else if (message.type === "need") {
          await restart();
          await stdin.write(new TextEncoder().encode("ok\n"));
        } else outcome = message;
      }
    }
  } catch (error) {
    failure = error;
    stopDriver();
  } finally {
    clearTimeout(timer);
    await stdin.close().catch(() => {});
  }
  const status = await child.status;
  clearTimeout(killTimer);
  const errors = await stderr;
  if (failure) throw failure;
  if (outcome?.type === "error") {
    const pages = [...facts].filter(([name]) => name.endsWith("at failure"));
    throw new Error(
      `browser scenario failed at "${outcome.step}":\n${outcome.message}\n` +
        JSON.stringify(pages, null, 1) + `\nserver output:\n${serverOutput().join("\n")}`,
    );
  }
  if (outcome?.type !== "done" || !status.success) {
    const why = timedOut ? `timed out after ${SCENARIO_TIMEOUT_MS} ms` : `exit ${status.code}`;
    throw new Error(`browser driver ended without finishing (${why}):\n${errors}`);
  }
  return facts;
}

Deno.test("chat demo: two Chromium pages chat, share an image, recover and survive a restart", async () => {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's \`chromium\` package to run the ` +
        "browser test (CI installs it).",
    );
  }
  const shots = await Deno.makeTempDir({ prefix: "edgeio_demo_" });
  let server: Started | undefined = await startDemo(0);
  const port = Number(new URL(server.url).port);
  const logs = [server.output];
  try {
    const env: Record<string, string> = {
      DEMO_URL: server.url,
      SHOT_DIR: shots,
      CHROMIUM,
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
    };
    if (Deno.env.get("UPDATE_SCREENSHOT") === "1") env.SCREENSHOT_OUT = `${ROOT}docs/demo.png`;
    const facts = await drive(env, () => logs.flat(), async () => {
      await server?.stop();
      server = undefined;
      server = await startDemo(port);
      logs.push(server.output);
    });

    assert.deepEqual(facts.get("pageerror"), undefined);
    assert.deepEqual(facts.get("rooms seen by Alice"), ["#lobby1", "#random1"]);
    assert.deepEqual(facts.get("history seen by Alice"), ["hello from Bob"]);
    assert.deepEqual(facts.get("presence seen by Bob"), ["Alice", "Bob"]);
    assert.deepEqual(facts.get("notices seen by Bob"), ["Bob joined", "Alice joined"]);
    assert.deepEqual(facts.get("typing seen by Alice"), "Bob is typing…");
    const conversation = ["hello from Bob", "hi Alice!", "hey Bob, have a picture"];
    assert.deepEqual(facts.get("messages seen by Alice"), conversation);
    assert.deepEqual(facts.get("messages seen by Bob"), conversation);

    const replies = facts.get("server replies to bad input") as { ok: boolean; error: string }[];
    assert.deepEqual(replies.map((reply) => reply.ok), [false, false, false, false, false, false]);
    assert.match(replies[0]!.error, /too long/);
    assert.match(replies[1]!.error, /empty/);
    assert.match(replies[2]!.error, /nickname/);
    assert.match(replies[3]!.error, /Room names/);
    assert.match(replies[4]!.error, /PNG/);
    assert.match(replies[5]!.error, /too large/);
    assert.match(facts.get("oversized image error") as string, /too large/);

    const image = facts.get("image seen by Bob") as { src: string; width: number; height: number };
    assert.match(image.src, /^blob:http:\/\/127\.0\.0\.1:\d+\//);
    assert(image.width > 0 && image.height > 0, `image rendered at ${image.width}×${image.height}`);
    const png = await Deno.readFile(facts.get("screenshot") as string);
    assert(png.byteLength > 1000, `screenshot of ${png.byteLength} bytes`);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    assert.deepEqual(facts.get("Alice connected while Bob wrote"), false);
    assert.deepEqual(facts.get("Alice recovered"), true);
    assert.deepEqual(facts.get("messages seen by Alice after the break"), [
      ...conversation,
      "missed one",
      "missed two",
    ]);

    assert.deepEqual(facts.get("presence seen by Alice after the restart"), ["Alice", "Bob"]);
    assert.deepEqual(facts.get("Bob's title after the restart"), "#lobby");
    assert.deepEqual(
      (facts.get("messages seen by Bob after the restart") as string[]).at(-1),
      "back after the restart",
    );
    await Deno.remove(shots, { recursive: true }); // kept when the test fails, to look at
  } finally {
    await server?.stop();
  }
});
