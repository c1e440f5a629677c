// The processes the benchmark starts: servers (each prints "listening on <url>") and load
// generators (each prints one JSON line). Every one is tracked until it exits, so an error or a
// Ctrl-C can stop them all; none is left behind.

const live = new Set<Deno.ChildProcess>();

// Runs "$@" with the soft open-files limit raised (to 65536 where allowed, else to the hard
// limit): 5000 idle sockets need 5000 descriptors in the server and in the generator.
const RAISE_FD_LIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"';
const WRAPPER = `${RAISE_FD_LIMIT}; exec "$@"`;

function spawn(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Deno.ChildProcess {
  // `bash -c script $0 $@...`: exec keeps the pid, so the pid is the server's own.
  const child = new Deno.Command("bash", {
    args: ["-c", WRAPPER, "bench", command, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  live.add(child);
  child.status.finally(() => live.delete(child));
  return child;
}

/**
 * The open-files limit a child gets.
 *
 * @returns The soft limit after raising.
 */
export async function childFdLimit(): Promise<number> {
  const { stdout } = await new Deno.Command("bash", {
    args: ["-c", `${RAISE_FD_LIMIT}; ulimit -n`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  return text === "unlimited" ? Infinity : Number(text);
}

async function stop(child: Deno.ChildProcess, graceMs = 5000): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      resolve();
    }, graceMs);
  });
  await Promise.race([child.status.then(() => {}), killed]);
  await child.status;
  clearTimeout(timer);
}

/** Stops every process the benchmark started and has not seen exit. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stop(child)));
}

/** A running server. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  /** What it printed so far, both streams. */
  readonly output: string[];
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

// Reads a stream line by line until it ends, handing each line over.
async function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer) onLine(buffer);
}

/**
 * Starts a server on a free port and waits for its "listening on" line.
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param cwd The working directory.
 * @param timeoutMs How long it may take to listen.
 * @returns The running server.
 * @throws {Error} When it exits or stays silent; it is stopped first.
 */
export async function startServer(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 20000,
): Promise<ServerProcess> {
  const child = spawn(command, args, cwd, { PORT: "0" });
  const output: string[] = [];
  const listening = Promise.withResolvers<string>();
  const onLine = (line: string) => {
    output.push(line);
    const match = line.match(/listening on (\S+)/);
    if (match) listening.resolve(match[1]!);
  };
  const pumps = Promise.all([lines(child.stdout, onLine), lines(child.stderr, onLine)]);
  const timer = setTimeout(
    () => listening.reject(new Error(`${command}: no "listening on" within ${timeoutMs} ms`)),
    timeoutMs,
  );
  child.status.then((status) =>
    listening.reject(new Error(`${command} exited (${status.code}) before listening`))
  );
  try {
    const url = await listening.promise;
    return {
      url,
      pid: child.pid,
      output,
      stop: async () => {
        await stop(child);
        await pumps;
      },
    };
  } catch (error) {
    await stop(child);
    await pumps;
    throw new Error(`${(error as Error).message}:\n${output.join("\n")}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a generator process to its end and returns the last line it printed.
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param cwd The working directory.
 * @param timeoutMs How long it may run before it is killed.
 * @returns Its last stdout line.
 * @throws {Error} When it fails, prints nothing or runs out of time.
 */
export async function runToEnd(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<string> {
  const child = spawn(command, args, cwd);
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    const { code, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    const out = decoder.decode(stdout).trim().split("\n");
    if (code !== 0) {
      throw new Error(`${command} exited (${code}):\n${decoder.decode(stderr)}`);
    }
    return out[out.length - 1]!;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a benchmark driver's `main`, then stops what it started (`stop`, every tracked child by
 * default): at the end, on an error (printed, exit code 1), on Ctrl-C or SIGTERM (exit 130),
 * and, with `overstayMs`, when the run takes longer (exit 2).
 *
 * @param main The benchmark.
 * @param stop Stops every process and server the benchmark started.
 * @param overstayMs The longest the run may take.
 */
export async function runDriver(
  main: () => Promise<void>,
  stop: () => Promise<unknown> = stopAll,
  overstayMs?: number,
): Promise<void> {
  const write = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
  const interrupted = async () => {
    await stop();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  const watchdog = overstayMs === undefined ? undefined : setTimeout(async () => {
    write("error: the benchmark overstayed; stopping\n");
    await stop();
    Deno.exit(2);
  }, overstayMs);
  try {
    await main();
  } catch (error) {
    write(`error: ${(error as Error).message ?? error}\n`);
    Deno.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await stop();
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
  }
}
