// `deno run --allow-net=127.0.0.1 --allow-env scripts/fixture_upstash_server.ts`: the server of
// fixture_upstash.ts on 127.0.0.1:$PORT; prints "listening on <url>", stops on SIGTERM.
import app, { io } from "./fixture_upstash.ts";
import { serveLocal } from "./serve_local.ts";

serveLocal(app.fetch, () => io.close());
