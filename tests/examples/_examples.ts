// Shared by the tests of examples/: how a user's tooling finds `@edgeio/edgeio` outside Deno
// (a tsconfig `paths` map built from deno.json's exports, for esbuild and Bun), and one scenario
// every example must pass with official socket.io-client 4.8.4 clients.
import assert from "node:assert/strict";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const ESBUILD = `${ROOT}node_modules/.bin/esbuild`;

/** The bound on every wait; generous because the whole suite runs in parallel. */
export const WAIT = 10_000;

/** An example's file by its path under examples/. */
export const example = (path: string): string => `${ROOT}examples/${path}`;

/**
 * Writes a tsconfig.json whose `paths` send `@edgeio/edgeio` and its subpaths to this
 * repository's files, as deno.json's `exports` name them (what `npx jsr add @edgeio/edgeio` gives a
 * user's bundler). Returns its directory, to remove after.
 */
export async function pathsTsconfig(): Promise<{ dir: string; file: string }> {
  const jsonc = await Deno.readTextFile(`${ROOT}deno.json`);
  const json = jsonc.split("\n").filter((line) => !/^\s*\/\//.test(line)).join("\n");
  const exports = (JSON.parse(json) as { exports: Record<string, string> }).exports;
  const paths: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(exports)) {
    paths[`@edgeio/edgeio${key.slice(1)}`] = [`${ROOT}${target.slice(2)}`];
  }
  const dir = await Deno.makeTempDir({ prefix: "edgeio-example-" });
  const file = `${dir}/tsconfig.json`;
  await Deno.writeTextFile(file, JSON.stringify({ compilerOptions: { paths } }));
  return { dir, file };
}

/** esbuild settings for a target runtime. */
const TARGETS = {
  node: ["--platform=node", "--format=esm"],
  workers: [
    "--platform=neutral",
    "--format=esm",
    "--conditions=workerd,worker,browser",
    "--main-fields=module,main",
  ],
};

// CommonJS packages bundled into an ES module (ws) still call `require("events")`.
const NODE_ESM_BANNER = 'import { createRequire as __edgeioCreateRequire } from "node:module"; ' +
  "const require = __edgeioCreateRequire(import.meta.url);";

/**
 * Bundles an example with esbuild, `@edgeio/edgeio` resolved through {@linkcode pathsTsconfig},
 * into `<dir>/<name>.mjs`.
 */
export async function bundleExample(
  entry: string,
  target: keyof typeof TARGETS,
  dir: string,
  tsconfig: string,
): Promise<string> {
  const file = `${dir}/${entry.split("/").pop()!.replace(/\.ts$/, "")}.mjs`;
  const args = [
    entry,
    "--bundle",
    `--outfile=${file}`,
    `--tsconfig=${tsconfig}`,
    "--log-level=error",
  ];
  args.push(...TARGETS[target]);
  if (target === "node") args.push(`--banner:js=${NODE_ESM_BANNER}`);
  const { success, stderr } = await new Deno.Command(ESBUILD, {
    args,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!success) throw new Error(`esbuild failed on ${entry}:\n${new TextDecoder().decode(stderr)}`);
  return file;
}

/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
export function once(socket: ClientSocket, event: string, ms = WAIT): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    socket.once(event, listener);
  });
}

/** Connects an official client, forced to one transport list, and waits until it is connected. */
export async function connect(
  url: string,
  transports: ("polling" | "websocket")[],
  clients: ClientSocket[],
): Promise<ClientSocket> {
  const socket = connectClient(url, { forceNew: true, reconnection: false, transports });
  clients.push(socket);
  await once(socket, "connect");
  return socket;
}

export type { ClientSocket };

/**
 * The chat scenario of every example: a polling client and a websocket client join "lobby", a
 * third (polling, then upgraded to websocket) joins "elsewhere"; a message with an ack reaches the
 * room and nobody else, both ways; the served client bundle answers 200.
 */
export async function exerciseChat(url: string): Promise<void> {
  const clients: ClientSocket[] = [];
  try {
    const polling = await connect(url, ["polling"], clients);
    const websocket = await connect(url, ["websocket"], clients);
    const outsider = await connect(url, ["polling", "websocket"], clients);
    assert.equal(polling.io.engine.transport.name, "polling");
    assert.equal(websocket.io.engine.transport.name, "websocket");

    const join = (socket: ClientSocket, room: string) =>
      socket.timeout(WAIT).emitWithAck("join", room);
    assert.equal(await join(polling, "lobby"), "lobby");
    assert.equal(await join(websocket, "lobby"), "lobby");
    assert.equal(await join(outsider, "elsewhere"), "elsewhere");

    const strays: unknown[] = [];
    outsider.on("message", (message) => strays.push(message));

    const toWebsocket = once(websocket, "message");
    assert.deepEqual(await polling.timeout(WAIT).emitWithAck("message", "lobby", "hello"), {
      ok: true,
    });
    assert.deepEqual(await toWebsocket, [{ room: "lobby", from: polling.id, text: "hello" }]);

    const toPolling = once(polling, "message");
    assert.deepEqual(await websocket.timeout(WAIT).emitWithAck("message", "lobby", "hi"), {
      ok: true,
    });
    assert.deepEqual(await toPolling, [{ room: "lobby", from: websocket.id, text: "hi" }]);

    // Not in the room: refused, and nothing reached the client of another room. The server
    // handles one socket's packets in order, so this ack comes after any stray message would.
    assert.deepEqual(await outsider.timeout(WAIT).emitWithAck("message", "lobby", "x"), {
      ok: false,
    });
    assert.deepEqual(strays, []);

    const bundle = await fetch(`${url}/socket.io/socket.io.min.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get("content-type") ?? "", /javascript/);
    assert.ok((await bundle.text()).length > 10_000);
  } finally {
    for (const socket of clients) socket.disconnect();
  }
}
