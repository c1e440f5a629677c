import assert from "node:assert/strict";
import { CLIENT_FILE_NAMES, type IoServerOptions, Server } from "../../server/mod.ts";
import { CLIENT_FILES } from "../../server/_client_files.ts";

const ROOT = new URL("../../", import.meta.url);
const ORIGIN = "http://localhost";

const BUNDLES = ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js"];

async function withServer(
  options: IoServerOptions,
  fn: (io: Server) => Promise<void>,
): Promise<void> {
  const io = new Server(options);
  try {
    await fn(io);
  } finally {
    await io.close();
  }
}

const get = (io: Server, path: string, init?: RequestInit) =>
  io.fetch(new Request(`${ORIGIN}${path}`, init));

const file = (name: string) => {
  const found = CLIENT_FILES[name];
  assert.ok(found, `${name} is in the generated module`);
  return found;
};

Deno.test("Server.fetch() serves every client file with its type, ETag and caching", async () => {
  await withServer({}, async (io) => {
    for (const name of CLIENT_FILE_NAMES) {
      const response = await get(io, `/socket.io/${name}`);
      assert.equal(response.status, 200, name);
      const type = name.endsWith(".map") ? "application/json" : "application/javascript";
      assert.equal(response.headers.get("content-type"), `${type}; charset=utf-8`);
      assert.equal(response.headers.get("cache-control"), "public, max-age=0");
      assert.equal(response.headers.get("etag"), file(name).etag);
      assert.match(file(name).etag, /^"[A-Za-z0-9_-]+"$/, "a strong, quoted ETag");
      const body = await response.text();
      assert.equal(body, file(name).body);
      assert.equal(response.headers.get("content-length"), String(body.length));
      assert.equal(response.headers.get("access-control-allow-origin"), null);
    }
  });
});

Deno.test("Server.fetch() links each bundle to its map, whose sources are relative", async () => {
  await withServer({}, async (io) => {
    const root = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
    for (const name of BUNDLES) {
      const code = await (await get(io, `/socket.io/${name}`)).text();
      assert.ok(code.startsWith("/*! edgeio "), `${name} starts with the license banner`);
      assert.ok(code.endsWith(`\n//# sourceMappingURL=${name}.map\n`), `${name} links its map`);
      const map = await (await get(io, `/socket.io/${name}.map`)).json();
      assert.equal(map.version, 3);
      assert.ok(map.sources.length > 0);
      assert.equal(map.sourcesContent.length, map.sources.length);
      for (const source of map.sources as string[]) {
        assert.ok(!/^(\/|\.\.|[a-z]+:)/.test(source), `${name}.map: ${source} is relative`);
      }
      for (const text of [code, JSON.stringify(map)]) {
        assert.ok(!text.includes(root), `${name}: no path of this machine`);
        assert.ok(!text.includes("file://"), `${name}: no file URL`);
      }
    }
  });
});

Deno.test("Server.fetch() answers 304 to a matching If-None-Match, weak or in a list", async () => {
  await withServer({}, async (io) => {
    const { etag } = file("socket.io.min.js");
    const matching = [etag, `W/${etag}`, `"other", ${etag}`, `"other",W/${etag}`, "*"];
    for (const ifNoneMatch of matching) {
      const response = await get(io, "/socket.io/socket.io.min.js", {
        headers: { "if-none-match": ifNoneMatch },
      });
      assert.equal(response.status, 304, ifNoneMatch);
      assert.equal(await response.text(), "");
      assert.equal(response.headers.get("etag"), etag);
    }
    for (const ifNoneMatch of ['"other"', file("socket.io.js").etag, etag.slice(0, -2) + '"']) {
      const response = await get(io, "/socket.io/socket.io.min.js", {
        headers: { "if-none-match": ifNoneMatch },
      });
      assert.equal(response.status, 200, ifNoneMatch);
      assert.equal(await response.text(), file("socket.io.min.js").body);
    }
  });
});

Deno.test("Server.fetch() answers HEAD with the headers and no body", async () => {
  await withServer({}, async (io) => {
    const response = await get(io, "/socket.io/socket.io.js", { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.body, null);
    assert.equal(response.headers.get("etag"), file("socket.io.js").etag);
    assert.equal(response.headers.get("content-length"), String(file("socket.io.js").body.length));
  });
});

Deno.test("Server.fetch() serves the files to any method and ignores the query, as socket.io does", async () => {
  await withServer({}, async (io) => {
    const post = await get(io, "/socket.io/socket.io.js?v=1", { method: "POST", body: "x" });
    assert.equal(post.status, 200);
    assert.equal(await post.text(), file("socket.io.js").body);
  });
});

Deno.test("Server.fetch() adds the engine's CORS headers and answers preflights", async () => {
  const cors = { origin: "https://app.example", credentials: true };
  await withServer({ cors }, async (io) => {
    const headers = { origin: "https://app.example" };
    const response = await get(io, "/socket.io/socket.io.esm.min.js", { headers });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(response.headers.get("access-control-allow-credentials"), "true");
    await response.body?.cancel();

    const etag = file("socket.io.esm.min.js").etag;
    const cached = await get(io, "/socket.io/socket.io.esm.min.js", {
      headers: { ...headers, "if-none-match": etag },
    });
    assert.equal(cached.status, 304);
    assert.equal(cached.headers.get("access-control-allow-origin"), "https://app.example");

    const preflight = await get(io, "/socket.io/socket.io.esm.min.js", {
      method: "OPTIONS",
      headers,
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(await preflight.text(), "");
  });
});

Deno.test("Server.fetch() serves the files under a custom path", async () => {
  await withServer({ path: "/rt/" }, async (io) => {
    const response = await get(io, "/rt/socket.io.min.js");
    assert.equal(response.status, 200);
    assert.equal(await response.text(), file("socket.io.min.js").body);
    const elsewhere = await get(io, "/socket.io/socket.io.min.js");
    assert.equal(elsewhere.status, 404);
    await elsewhere.body?.cancel();
  });
});

Deno.test("Server.fetch() leaves the paths to the engine when serveClient is false", async () => {
  await withServer({ serveClient: false }, async (io) => {
    for (const name of CLIENT_FILE_NAMES) {
      const response = await get(io, `/socket.io/${name}`);
      assert.equal(response.status, 400, name);
      assert.deepEqual(await response.json(), { code: 0, message: "Transport unknown" });
    }
  });
});

Deno.test("Server.fetch() leaves other files under the path to the engine", async () => {
  await withServer({}, async (io) => {
    for (const path of ["/socket.io/socket.io.msgpack.min.js", "/socket.io/x/socket.io.js"]) {
      const response = await get(io, path);
      assert.equal(response.status, 400, path);
      await response.body?.cancel();
    }
    const outside = await get(io, "/socket.io.js");
    assert.equal(outside.status, 404);
    await outside.body?.cancel();
  });
});

Deno.test("Server.handler() serves the files and hands the rest to the fallback", async () => {
  await withServer({}, async (io) => {
    const handler = io.handler(() => new Response("app"));
    const served = await handler(new Request(`${ORIGIN}/socket.io/socket.io.js`));
    assert.equal(await served.text(), file("socket.io.js").body);
    assert.equal(await (await handler(new Request(`${ORIGIN}/index.html`))).text(), "app");
  });
});

Deno.test("Server.fetch() serves the files over a real Deno.serve socket", async () => {
  const io = new Server({ cors: { origin: "*" } });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, io.fetch);
  const base = `http://127.0.0.1:${server.addr.port}/socket.io`;
  try {
    for (const name of CLIENT_FILE_NAMES) {
      const response = await fetch(`${base}/${name}`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), file(name).body);
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      // A runtime that compresses may weaken the tag; it must still match.
      const etag = response.headers.get("etag")!;
      assert.equal(etag.replace(/^W\//, ""), file(name).etag);
      const cached = await fetch(`${base}/${name}`, { headers: { "if-none-match": etag } });
      assert.equal(cached.status, 304);
      await cached.body?.cancel();
    }
    const head = await fetch(`${base}/socket.io.js`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    assert.equal(head.headers.get("content-type"), "application/javascript; charset=utf-8");
  } finally {
    await io.close();
    await server.shutdown();
  }
});

Deno.test("server/_client_files.ts matches a fresh `deno task build:client`", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeio-client-" });
  try {
    const out = `${dir}/_client_files.ts`;
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${dir}`,
        "--allow-env",
        "--allow-run",
        "scripts/build_client.ts",
        `--out=${out}`,
      ],
      cwd: decodeURIComponent(ROOT.pathname),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    const fresh = await Deno.readFile(out);
    const committed = await Deno.readFile(new URL("server/_client_files.ts", ROOT));
    assert.ok(
      fresh.byteLength === committed.byteLength && fresh.every((b, i) => b === committed[i]),
      "server/_client_files.ts is out of date: run `deno task build:client`",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
