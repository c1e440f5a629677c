// The Engine.IO echo fixture of scripts/fixture_engine.ts on Bun: `bun run
// scripts/fixture_engine_bun.ts`. Same engine (path /engine.io/, pingInterval 300, pingTimeout
// 200, maxPayload 1e6, every message echoed back unchanged, EIO=3 refused unless EIO3=1), served
// by Bun.serve through server/runtime/bun.ts. Listens on 127.0.0.1:$PORT (default 3000; 0 picks
// a free port) and prints "listening on <url>".
// For tests of the Bun runtime only: PING_INTERVAL and PING_TIMEOUT (ms) replace the heartbeat,
// IDLE_TIMEOUT (s) replaces the Bun idle timeout that bunHandler() computes from it.
import { EngineServer } from "../server/mod.ts";
import { bunHandler, type BunServeOptions, upgradeWebSocket } from "../server/runtime/bun.ts";

// The few members of Bun's globals this script uses; Deno type-checks it without Bun's types.
interface BunGlobals {
  Bun: {
    env: Record<string, string | undefined>;
    serve(options: BunServeOptions & { hostname: string; port: number }): {
      hostname: string;
      port: number;
      stop(closeActiveConnections?: boolean): Promise<void>;
    };
  };
  process: {
    on(signal: "SIGTERM" | "SIGINT", listener: () => void): void;
    exit(code: number): never;
  };
}
const { Bun, process: nodeProcess } = globalThis as unknown as BunGlobals;
const env = Bun.env;

const engine = new EngineServer({
  upgradeWebSocket,
  pingInterval: Number(env.PING_INTERVAL ?? 300),
  pingTimeout: Number(env.PING_TIMEOUT ?? 200),
  maxHttpBufferSize: 1e6,
  allowEIO3: env.EIO3 === "1",
});
engine.on("connection", (session) => {
  session.on("message", (data) => session.send(data));
});

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(env.PORT ?? 3000),
  ...bunHandler(
    engine,
    env.IDLE_TIMEOUT === undefined ? {} : { idleTimeout: Number(env.IDLE_TIMEOUT) },
  ),
});
// Bun.serve listens before it returns.
// deno-lint-ignore no-console -- the one line a test harness waits for
console.log(`listening on http://${server.hostname}:${server.port}`);

const stop = async () => {
  engine.close();
  // Let the close packets go out, but bound the wait: a client may never hang up, and Bun's
  // stop() never resolves once the server closed a WebSocket (oven-sh/bun#36223), as
  // engine.close() just did. So the forced stop is not awaited either.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([server.stop(), new Promise((resolve) => timer = setTimeout(resolve, 1000))]);
  clearTimeout(timer);
  void server.stop(true);
  nodeProcess.exit(0);
};
nodeProcess.on("SIGTERM", stop);
nodeProcess.on("SIGINT", stop);
