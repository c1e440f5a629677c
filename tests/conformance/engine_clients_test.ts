// The official engine.io-client 6.6.8 (EIO=4) and the engine of socket.io-client 2.5
// (engine.io-client 3.5, EIO=3) against our engine on every runtime: polling, websocket and the
// upgrade, text and binary both ways.
import assert from "node:assert/strict";
import { Socket as ClientV4 } from "engine.io-client";
import { engineIoClientV3 } from "../legacy/mod.ts";
import { RUNTIMES } from "./_runtimes.ts";

interface ClientSocket {
  transport: { name: string };
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  send(data: unknown): void;
  close(): void;
}
type MakeClient = (url: string, opts: Record<string, unknown>) => ClientSocket;

const CLIENTS: Array<[string, MakeClient]> = [
  [
    "engine.io-client 6.6.8 (EIO=4)",
    (url, opts) => new ClientV4(url, opts) as unknown as ClientSocket,
  ],
  [
    "engine.io-client 3.5.4 (EIO=3)",
    (url, opts) =>
      (engineIoClientV3 as unknown as (u: string, o: unknown) => ClientSocket)(url, opts),
  ],
];

const MODES: Array<[string, string[], string]> = [
  ["polling", ["polling"], "polling"],
  ["websocket", ["websocket"], "websocket"],
  ["upgrade", ["polling", "websocket"], "websocket"],
];

function event(socket: ClientSocket, name: string, timeoutMs = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${name} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(name, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

const bytes = (value: unknown) =>
  value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(
    (value as Uint8Array).buffer,
    (value as Uint8Array).byteOffset,
    (value as Uint8Array).byteLength,
  );

for (const runtime of RUNTIMES) {
  Deno.test(`conformance (${runtime.name}): official Engine.IO clients over polling, websocket and the upgrade`, async (t) => {
    const server = await runtime.startEngineEcho(true);
    try {
      for (const [clientName, makeClient] of CLIENTS) {
        for (const [mode, transports, finalTransport] of MODES) {
          await t.step(`${clientName}, ${mode}`, async () => {
            const socket = makeClient(server.url, { transports, path: "/engine.io/" });
            const messages: unknown[] = [];
            socket.on("message", (data) => messages.push(data));
            const upgraded = mode === "upgrade" ? event(socket, "upgrade") : Promise.resolve([]);
            await event(socket, "open");
            await upgraded;
            assert.equal(socket.transport.name, finalTransport);
            socket.send("hello €");
            socket.send(new Uint8Array([1, 2, 3, 255]));
            const deadline = Date.now() + 5000;
            while (messages.length < 2 && Date.now() < deadline) {
              await new Promise((r) => setTimeout(r, 10));
            }
            assert.equal(messages[0], "hello €");
            assert.deepEqual(bytes(messages[1]), new Uint8Array([1, 2, 3, 255]));
            const closed = event(socket, "close");
            socket.close();
            await closed;
          });
        }
      }
      await t.step("the fixture without EIO3 refuses the EIO=3 client", async () => {
        const strict = await runtime.startEngineEcho(false);
        try {
          const response = await fetch(`${strict.url}/engine.io/?EIO=3&transport=polling`);
          assert.deepEqual(await response.json(), {
            code: 5,
            message: "Unsupported protocol version",
          });
        } finally {
          await strict.stop();
        }
      });
    } finally {
      await server.stop();
    }
  });
}
