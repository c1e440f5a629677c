// The Engine.IO echo fixture (see scripts/fixture_engine.ts) as a Cloudflare Worker: the engine
// lives in a Durable Object (binding ENGINE, class EchoEngine), sessions spread over two shards.
// Bundled with esbuild and run in workerd by tests/runtime/miniflare_server.mjs. The binding
// EIO3 = "1" admits EIO=3 clients.
import type { EngineOptions, EngineServer } from "../server/mod.ts";
import { EngineDurableObject, routeToDurableObject } from "../server/runtime/workers.ts";

export class EchoEngine extends EngineDurableObject {
  protected override engineOptions(env: Record<string, unknown>): EngineOptions {
    return {
      pingInterval: 300,
      pingTimeout: 200,
      maxHttpBufferSize: 1e6,
      allowEIO3: env.EIO3 === "1",
    };
  }

  protected override setup(engine: EngineServer): void {
    engine.on("connection", (session) => {
      session.on("message", (data) => session.send(data));
    });
  }
}

export default { fetch: routeToDurableObject("ENGINE", { shards: 2 }) };
