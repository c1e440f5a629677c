// Starts a server process that prints "listening on <url>", and stops it.

export interface Started {
  url: string;
  /** Lines the process printed so far (stdout and stderr). */
  output: string[];
  stop(): Promise<void>;
  /** Sends a signal to the process (e.g. SIGSTOP to make it stop answering); set by startServer. */
  signal?(signal: Deno.Signal): void;
}

/**
 * Starts `command` and resolves once it printed its URL: the first group of `listening` (by
 * default the "listening on <url>" line of our fixtures; `deno serve` prints its own).
 */
export async function startServer(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20000,
  listening: RegExp = /listening on (\S+)/,
): Promise<Started> {
  const child = new Deno.Command(command, {
    args,
    env: { PORT: "0", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const output: string[] = [];
  const { promise: printed, resolve, reject } = Promise.withResolvers<string>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        output.push(line);
        const match = line.match(listening);
        if (match) resolve(match[1]!);
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const timer = setTimeout(
    () =>
      reject(
        new Error(
          `no "listening on" from ${command} within ${timeoutMs} ms:\n${output.join("\n")}`,
        ),
      ),
    timeoutMs,
  );
  child.status.then((status) =>
    reject(new Error(`${command} exited (${status.code}) before listening:\n${output.join("\n")}`))
  );
  let url: string;
  try {
    url = await printed;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await pumps;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    url,
    output,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await pumps;
    },
    signal(signal: Deno.Signal) {
      child.kill(signal);
    },
  };
}

export const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
