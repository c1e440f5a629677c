// A raw WebSocket client for tests: buffers events so a test can await them in order, and
// bounds every wait.

export interface BufferedSocket {
  socket: WebSocket;
  next(
    type: "open" | "message" | "close",
    timeoutMs?: number,
  ): Promise<Event | MessageEvent | CloseEvent>;
  message(timeoutMs?: number): Promise<string | ArrayBuffer>;
  close(): Promise<void>;
}

export function connect(url: string): BufferedSocket {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const buffers: Record<string, Event[]> = { open: [], message: [], close: [] };
  const waiters: Record<string, Array<(e: Event) => void>> = { open: [], message: [], close: [] };
  for (const type of ["open", "message", "close"]) {
    socket.addEventListener(type, (event) => {
      const waiter = waiters[type]!.shift();
      if (waiter) waiter(event);
      else buffers[type]!.push(event);
    });
  }
  socket.addEventListener("error", () => {});
  const next = (type: "open" | "message" | "close", timeoutMs = 5000) => {
    const buffered = buffers[type]!.shift();
    if (buffered) return Promise.resolve(buffered);
    return new Promise<Event>((resolve, reject) => {
      const waiter = (event: Event) => {
        clearTimeout(timer);
        resolve(event);
      };
      // A waiter that timed out must not swallow the next event.
      const timer = setTimeout(() => {
        waiters[type]!.splice(waiters[type]!.indexOf(waiter), 1);
        reject(new Error(`no ${type} event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters[type]!.push(waiter);
    });
  };
  return {
    socket,
    next,
    async message(timeoutMs) {
      return ((await next("message", timeoutMs)) as MessageEvent).data;
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = next("close");
      socket.close();
      await closed;
    },
  };
}
