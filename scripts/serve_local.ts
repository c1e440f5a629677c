// Serves a fetch handler on 127.0.0.1:$PORT for the fixtures and benchmark servers: prints
// "listening on <url>" (the one line test harnesses and benchmarks wait for), stops cleanly on
// SIGTERM/SIGINT (closing what `close` closes first), and runs a full GC on SIGUSR2 when Deno was
// started with `--v8-flags=--expose-gc`, so a memory reading can leave garbage out.

export function serveLocal(
  handler: (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
  close: () => void | Promise<void>,
  defaultPort = 3000,
): void {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: Number(Deno.env.get("PORT") ?? defaultPort),
    onListen: ({ hostname, port }) => {
      // deno-lint-ignore no-console -- the one line a harness waits for
      console.log(`listening on http://${hostname}:${port}`);
    },
  }, handler);
  const gc = (globalThis as { gc?: () => void }).gc;
  Deno.addSignalListener("SIGUSR2", () => gc?.());
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await close();
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
