// A raw Engine.IO v4 client over Deno's WebSocket: open, read the open packet, answer pings,
// hand message packets (`4...`) to the caller. No official client: it would cost the generator
// more CPU than the frames themselves. (A hand-made WebSocket over Deno.connect was tried too:
// it cost the generator more CPU per message than Deno's WebSocket.)

/** An open Engine.IO WebSocket session. */
export interface EngineSocket {
  /** The session id from the open packet. */
  readonly sid: string;
  /** Sends one packet, whole (`4<payload>` for a message). */
  send(packet: string): void;
  /** Called with each message packet, whole (`4<payload>`); pings are answered before it. */
  onMessage: (packet: string) => void;
  /** Called once if the socket closes before `close()` was asked for. */
  onLost: () => void;
  /** Closes the socket and resolves once it is closed (or after `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * The WebSocket URL of a server's Engine.IO endpoint.
 *
 * @param base `http://host:port`.
 * @returns `ws://host:port/engine.io/?EIO=4&transport=websocket`.
 */
export function engineWsUrl(base: string): string {
  return `${base.replace(/^http/, "ws")}/engine.io/?EIO=4&transport=websocket`;
}

/**
 * Opens a session and waits for its open packet.
 *
 * @param url From {@linkcode engineWsUrl}.
 * @param timeoutMs How long the WebSocket handshake and the open packet may take.
 * @returns The session.
 * @throws {Error} On a refused connection, an early close, a wrong first packet or a timeout.
 */
export function openEngineSocket(url: string, timeoutMs: number): Promise<EngineSocket> {
  const socket = new WebSocket(url);
  return new Promise<EngineSocket>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch { /* not open yet */ }
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`not open within ${timeoutMs} ms`)), timeoutMs);
    socket.onerror = () => fail(new Error("websocket error before the open packet"));
    socket.onclose = (event) => fail(new Error(`closed (${event.code}) before the open packet`));
    socket.onmessage = (event) => {
      const data = event.data;
      if (typeof data !== "string" || data[0] !== "0") {
        fail(new Error(`first packet is not an open packet: ${String(data).slice(0, 40)}`));
        return;
      }
      clearTimeout(timer);
      resolve(wrap(socket, (JSON.parse(data.slice(1)) as { sid: string }).sid));
    };
  });
}

function wrap(socket: WebSocket, sid: string): EngineSocket {
  let closing = false;
  const closed = Promise.withResolvers<void>();
  const session: EngineSocket = {
    sid,
    send: (packet) => socket.send(packet),
    onMessage: () => {},
    onLost: () => {},
    async close(timeoutMs = 10000) {
      if (socket.readyState === WebSocket.CLOSED) return;
      closing = true;
      socket.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
      await Promise.race([closed.promise, timeout]);
      clearTimeout(timer);
    },
  };
  socket.onmessage = (event) => {
    const data = event.data;
    if (data === "2") socket.send("3");
    else if (typeof data === "string" && data[0] === "4") session.onMessage(data);
  };
  socket.onerror = () => {};
  socket.onclose = () => {
    closed.resolve();
    if (!closing) session.onLost();
  };
  return session;
}

/**
 * Opens `count` sessions, at most `concurrency` handshakes at a time.
 *
 * @param url From {@linkcode engineWsUrl}.
 * @param count How many.
 * @param concurrency How many handshakes may be under way at once.
 * @param timeoutMs Per handshake.
 * @returns The sessions that opened, and how many failed.
 */
export async function openMany(
  url: string,
  count: number,
  concurrency: number,
  timeoutMs = 10000,
): Promise<{ sockets: EngineSocket[]; errors: number }> {
  const sockets: EngineSocket[] = [];
  let next = 0;
  let errors = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      try {
        sockets.push(await openEngineSocket(url, timeoutMs));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { sockets, errors };
}

/**
 * Closes sessions, all at once, waiting at most `timeoutMs` for them.
 *
 * @param sockets The sessions.
 * @param timeoutMs The longest wait.
 */
export async function closeAll(sockets: EngineSocket[], timeoutMs = 10000): Promise<void> {
  await Promise.all(sockets.map((s) => s.close(timeoutMs)));
}
